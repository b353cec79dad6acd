import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import {
  createSubjects,
  DeadLetter,
  KnowledgeKeys,
  Plan,
  PlanEvent,
  streamNames,
} from "@patinox/contracts";
import { freePort, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, PlanWorld, SUPPORT_YAML } from "./test-support/plan-harness.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.stop();
});

describe("plan edges", () => {
  it("takes signed webhooks (a merge is seen without polling) and refuses unsigned ones", async () => {
    await using world = await PlanWorld.create(nats);
    const port = await freePort();
    const secret = "webhook-secret";
    await world.startPlan({
      PATINOX_PLAN_WEBHOOK_PORT: String(port),
      PATINOX_PLAN_WEBHOOK_SECRET: secret,
      PATINOX_PLAN_POLL_MS: "3600000", // no polling: only the webhook can tell Plan about the merge
      PATINOX_PLAN_RECONCILE_MS: "3600000",
    });
    world.github.setWebhook({ url: `http://127.0.0.1:${port}/webhooks/github`, secret });
    await world.finding({ fingerprint: "fp-hook", kind: "tool_timeouts", target: "lookup_order" });
    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "pr-open",
    );
    await world.github.merge(plan.pr?.number ?? 0);
    await eventually(
      async () => (await world.plan(plan.planId))?.status === "merged",
      "merged via the webhook",
    );
    expect(world.github.problems()).toEqual([]);

    const body = JSON.stringify({ action: "closed", pull_request: { head: { ref: "patinox/x" } } });
    const unsigned = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
      method: "POST",
      headers: { "x-github-event": "pull_request" },
      body,
    });
    expect(unsigned.status).toBe(401);
    const wrong = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
      method: "POST",
      headers: {
        "x-github-event": "pull_request",
        "x-hub-signature-256": `sha256=${createHmac("sha256", "not-the-secret").update(body).digest("hex")}`,
      },
      body,
    });
    expect(wrong.status).toBe(401);
  });

  it("dead-letters a malformed finding event and goes on with the next; publishes plan events", async () => {
    await using world = await PlanWorld.create(nats);
    await world.startPlan();
    const js = jetstream(world.nc);
    const subjects = createSubjects(world.prefix);
    await js.publish(
      subjects.events("finding", "support"),
      new TextEncoder().encode('{"v":1,"nonsense":true}'),
    );
    await world.finding({ fingerprint: "fp-after", kind: "tool_timeouts", target: "lookup_order" });
    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "pr-open",
    );

    const jsm = await jetstreamManager(world.nc);
    const letters = await eventually(async () => {
      const info = await jsm.streams
        .info(streamNames(world.prefix).deadLetters)
        .catch(() => undefined);
      return info && info.state.messages > 0 ? info : undefined;
    }, "a dead letter");
    expect(letters.state.messages).toBe(1);
    const letter = await jsm.streams.getMessage(streamNames(world.prefix).deadLetters, {
      seq: letters.state.first_seq,
    });
    expect(DeadLetter.parse(letter?.json())).toMatchObject({
      service: "plan",
      code: "malformed_message",
    });

    // The plan's life as events on <prefix>.events.plan.support, each transition once.
    await jsm.consumers.add(streamNames(world.prefix).events, {
      durable_name: "test-plan-events",
      ack_policy: AckPolicy.None,
      filter_subject: subjects.events("plan", "support"),
    });
    const consumer = await js.consumers.get(streamNames(world.prefix).events, "test-plan-events");
    const events: PlanEvent[] = [];
    const batch = await consumer.fetch({ max_messages: 20, expires: 1000 });
    for await (const m of batch) events.push(PlanEvent.parse(m.json()));
    expect(events.map((e) => [e.event, e.plan.status])).toEqual([
      ["created", "proposed"],
      ["status_changed", "pr-open"],
    ]);
    expect(events[1]?.previousStatus).toBe("proposed");
    expect(events[1]?.plan.planId).toBe(plan.planId);
  });

  it("proposes to a local git repository with the same lifecycle (sink git)", async () => {
    const repo = await mkdtemp(join(tmpdir(), "plan-git-sink-"));
    const git = (...args: string[]) =>
      execFileSync("git", args, {
        cwd: repo,
        encoding: "utf8",
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: "t",
          GIT_AUTHOR_EMAIL: "t@t",
          GIT_COMMITTER_NAME: "t",
          GIT_COMMITTER_EMAIL: "t@t",
        },
      });
    try {
      git("init", "-q", "-b", "main");
      execFileSync("mkdir", ["-p", join(repo, "agents")]);
      await writeFile(join(repo, "agents", "support.yaml"), SUPPORT_YAML);
      git("add", ".");
      git("commit", "-q", "-m", "agents");
      await using world = await PlanWorld.create(nats);
      await world.startPlan({
        PATINOX_PLAN_SINK: "git",
        PATINOX_PLAN_GIT_REPO: repo,
        PATINOX_PLAN_APPLY_ON_MERGE: "true",
      });
      await world.finding({ fingerprint: "fp-git", kind: "tool_timeouts", target: "lookup_order" });
      const plan = await eventually(
        async () => (await world.plans()).find((p) => p.status === "pr-open"),
        "pr-open",
      );
      expect(plan.pr).toMatchObject({
        sink: "git",
        branch: "patinox/support/tool_timeouts-fp-git",
      });
      const diff = git("diff", "main", "patinox/support/tool_timeouts-fp-git");
      expect(diff).toContain("-    timeoutMs: 5000\n+    timeoutMs: 10000");
      expect(
        git("notes", "--ref=refs/notes/patinox", "show", "patinox/support/tool_timeouts-fp-git"),
      ).toContain("### Evidence");
      git("merge", "-q", "--no-ff", "-m", "merge plan", "patinox/support/tool_timeouts-fp-git");
      const applied = await eventually(async () => {
        const p = await world.plan(plan.planId);
        return p?.status === "applied" ? p : undefined;
      }, "applied from the local repository");
      expect(applied.appliedVersion).toBe(2);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });

  it("publishes again the event of a plan written just before a crash (no second copy)", async () => {
    await using world = await PlanWorld.create(nats);
    const now = new Date().toISOString();
    // A plan as a Plan that died between its write and its event would leave it.
    await world.knowledge.put(KnowledgeKeys.plan("support", "fp-lost-1"), Plan, {
      v: 1,
      planId: "fp-lost-1",
      agent: "support",
      findingFingerprint: "fp-lost",
      findingKind: "tool_timeouts",
      kind: "tool_timeout",
      change: [{ path: "tools.lookup_order.timeoutMs", from: 5000, to: 10000 }],
      rationale: "r",
      baseVersion: 1,
      status: "closed",
      history: [
        { status: "proposed", at: now },
        { status: "closed", at: now, reason: "the finding resolved" },
      ],
      createdAt: now,
      updatedAt: now,
    });
    await world.startPlan({ PATINOX_PLAN_RECONCILE_MS: "300" });
    const js = jetstream(world.nc);
    const jsm = await jetstreamManager(world.nc);
    const subjects = createSubjects(world.prefix);
    await eventually(async () => {
      const info = await jsm.streams.info(streamNames(world.prefix).events);
      return info.state.messages > 0;
    }, "the republished event");
    await new Promise((r) => setTimeout(r, 1000)); // several reconcile rounds publish it again
    await jsm.consumers.add(streamNames(world.prefix).events, {
      durable_name: "test-lost",
      ack_policy: AckPolicy.None,
      filter_subject: subjects.events("plan", "support"),
    });
    const events: PlanEvent[] = [];
    const batch = await (
      await js.consumers.get(streamNames(world.prefix).events, "test-lost")
    ).fetch({
      max_messages: 20,
      expires: 1000,
    });
    for await (const m of batch) events.push(PlanEvent.parse(m.json()));
    expect(events.map((e) => [e.event, e.previousStatus, e.plan.status])).toEqual([
      ["status_changed", "proposed", "closed"],
    ]);
  });

  it("an unreadable finding record neither closes its PR nor is retried forever", async () => {
    await using world = await PlanWorld.create(nats);
    const { logs } = await world.startPlan();
    await world.finding({ fingerprint: "fp-bad", kind: "tool_timeouts", target: "lookup_order" });
    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "PR",
    );
    const kv = await new Kvm(world.nc).open(world.prefix);
    await kv.put(KnowledgeKeys.finding("support", "fp-bad"), "not a finding");
    await eventually(
      () => logs.some((l) => l.includes("finding record unreadable")),
      "the unreadable record logged",
    );
    await new Promise((r) => setTimeout(r, 1000)); // poll and reconcile rounds
    expect((await world.plan(plan.planId))?.status).toBe("pr-open");
    expect(world.github.repository.pull(plan.pr?.number ?? 0)?.state).toBe("open");
  });
});

import { applyDefinition, parseDefinition } from "@patinox/agents";
import { AgentDefinitionRecord, KnowledgeKeys } from "@patinox/contracts";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  GITHUB_TEST_TOKEN,
  PlanWorld,
  SUPPORT_YAML,
} from "./test-support/plan-harness.ts";

let nats: NatsServer;

beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.stop();
});

describe("plan against the GitHub test server", () => {
  it("turns a tool-timeout finding into exactly one pull request with the YAML diff, comments kept; merge → merged → applied → verified", async () => {
    await using world = await PlanWorld.create(nats);
    const { logs } = await world.startPlan({ PATINOX_PLAN_APPLY_ON_MERGE: "true" });
    await world.finding({
      fingerprint: "fp-timeouts",
      kind: "tool_timeouts",
      target: "lookup_order",
    });

    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "a plan with an open pull request",
    );
    expect(plan).toMatchObject({
      agent: "support",
      findingFingerprint: "fp-timeouts",
      kind: "tool_timeout",
      change: [{ path: "tools.lookup_order.timeoutMs", from: 5000, to: 10000 }],
      pr: { sink: "github", number: 1, branch: "patinox/support/tool_timeouts-fp-timeouts" },
      baseVersion: 1,
    });
    const pulls = world.github.repository.pulls();
    expect(pulls).toHaveLength(1);
    const pull = pulls[0];
    const edited = world.github.repository.readFile(pull?.head ?? "", "agents/support.yaml") ?? "";
    // Only the one value changed: every comment and every other byte of the file is kept.
    const before = SUPPORT_YAML.split("\n");
    const after = edited.split("\n");
    expect(after.length).toBe(before.length);
    expect(before.flatMap((l, i) => (l === after[i] ? [] : [[l, after[i]]]))).toEqual([
      ["    timeoutMs: 5000", "    timeoutMs: 10000"],
    ]);
    expect(pull?.labels).toEqual(["patinox", "agent:support", "finding:tool_timeouts"]);
    expect(pull?.body).toContain("| timeout_rate | 0.3100 |");
    expect(pull?.body).toContain("-    timeoutMs: 5000\n+    timeoutMs: 10000");
    expect(pull?.body).toContain("https://traces.example/trace/0123456789abcdef0123456789abcdef");
    expect(pull?.body).toContain("How to revert");
    expect(pull?.body).not.toContain(GITHUB_TEST_TOKEN);

    // A redelivered / repeated event and several reconcile rounds open nothing more.
    await world.finding(
      { fingerprint: "fp-timeouts", kind: "tool_timeouts", target: "lookup_order" },
      "opened",
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(world.github.repository.pulls()).toHaveLength(1);
    expect((await world.plans()).length).toBe(1);

    await world.github.merge(1);
    const applied = await eventually(async () => {
      const p = await world.plan(plan.planId);
      return p?.status === "applied" ? p : undefined;
    }, "the merged plan applied");
    expect(applied.appliedVersion).toBe(2);
    expect(applied.history.map((h) => h.status)).toEqual([
      "proposed",
      "pr-open",
      "merged",
      "applied",
    ]);
    const live = await world.knowledge.get(
      KnowledgeKeys.agentConfig("support"),
      AgentDefinitionRecord,
    );
    expect(live?.value).toMatchObject({ version: 2, appliedBy: "plan:applyOnMerge" });
    expect(live?.value.definition.tools[0]?.timeoutMs).toBe(10000);

    await world.verdict(applied, "improved");
    await eventually(
      async () => (await world.plan(plan.planId))?.status === "verified",
      "verified",
    );
    expect(world.github.problems()).toEqual([]);
    expect(logs.join("\n")).not.toContain(GITHUB_TEST_TOKEN);
  });

  it("closes the pull request when the finding resolves before merge", async () => {
    await using world = await PlanWorld.create(nats);
    await world.startPlan();
    await world.finding({
      fingerprint: "fp-length",
      kind: "validator_rejections",
      target: "output_max_length",
    });
    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "pr-open",
    );
    expect(plan.change).toEqual([{ path: "model.maxOutputTokens", from: 800, to: 1000 }]);
    await world.resolve("fp-length");
    await eventually(async () => (await world.plan(plan.planId))?.status === "closed", "closed");
    const pull = world.github.repository.pull(1);
    expect(pull?.state).toBe("closed");
    expect(pull?.comments[0]?.body).toContain("resolved before this change was merged");
    expect(world.github.problems()).toEqual([]);
  });

  it("records a GitHub 422 as failed with the reason, retries with backoff and then opens one pull request", async () => {
    await using world = await PlanWorld.create(nats);
    world.github.failNext({
      operationId: "pulls/create",
      times: 2,
      failure: { kind: "status", status: 422 },
    });
    await world.startPlan();
    await world.finding({ fingerprint: "fp-422", kind: "tool_timeouts", target: "search_docs" });
    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "pr-open after retries",
    );
    const failures = plan.history.filter((h) => h.status === "failed");
    expect(failures.length).toBe(2);
    expect(failures[0]?.reason).toMatch(
      /^config_invalid: GitHub answered 422 to propose: Validation Failed; retry at /,
    );
    expect(world.github.repository.pulls()).toHaveLength(1);
  });

  it("records a secondary rate limit as failed, retries after GitHub's retry-after, no crash", async () => {
    await using world = await PlanWorld.create(nats);
    world.github.failNext({
      operationId: "git/create-ref",
      failure: { kind: "secondary-rate-limit", retryAfterSeconds: 1 },
    });
    await world.startPlan();
    await world.finding({ fingerprint: "fp-rl", kind: "tool_timeouts", target: "lookup_order" });
    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "pr-open after the limit",
    );
    const failure = plan.history.find((h) => h.status === "failed");
    expect(failure?.reason).toMatch(/^rate_limited: GitHub answered 403/);
    // The retry came no sooner than GitHub's retry-after.
    const failedAt = Date.parse(failure?.at ?? "");
    const openedAt = Date.parse(plan.history.find((h) => h.status === "pr-open")?.at ?? "");
    expect(openedAt - failedAt).toBeGreaterThanOrEqual(900);
    expect(world.github.repository.pulls()).toHaveLength(1);
  });

  it("a pull request closed by a person mutes the finding until its evidence changes", async () => {
    await using world = await PlanWorld.create(nats);
    await world.startPlan();
    const finding = await world.finding({
      fingerprint: "fp-mute",
      kind: "tool_timeouts",
      target: "lookup_order",
    });
    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "pr-open",
    );
    await world.github.close(plan.pr?.number ?? 0);
    await eventually(
      async () => (await world.plan(plan.planId))?.status === "closed",
      "closed by a person",
    );
    await new Promise((r) => setTimeout(r, 1500)); // reconcile rounds: still muted
    expect(world.github.repository.pulls()).toHaveLength(1);
    await world.publishFindingEvent(
      { ...finding, evidence: { ...finding.evidence, numbers: { timeout_rate: 0.6 } } },
      "changed",
    );
    const second = await eventually(
      async () =>
        (await world.plans()).find((p) => p.planId !== plan.planId && p.status === "pr-open"),
      "a second plan after a material change",
    );
    expect(second.pr?.branch).toBe("patinox/support/tool_timeouts-fp-mute-2");
    expect(world.github.repository.pulls()).toHaveLength(2);
  });

  it("a regressed verdict raises a revert pull request linked to the original, and the revert is applied", async () => {
    await using world = await PlanWorld.create(nats);
    await world.startPlan({ PATINOX_PLAN_APPLY_ON_MERGE: "true" });
    await world.finding({ fingerprint: "fp-reg", kind: "tool_timeouts", target: "lookup_order" });
    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "pr-open",
    );
    await world.github.merge(plan.pr?.number ?? 0);
    const applied = await eventually(async () => {
      const p = await world.plan(plan.planId);
      return p?.status === "applied" ? p : undefined;
    }, "applied");
    await world.verdict(applied, "regressed");
    const revert = await eventually(
      async () =>
        (await world.plans()).find((p) => p.revertOf === plan.planId && p.status === "pr-open"),
      "a revert pull request",
    );
    expect(revert.change).toEqual([
      { path: "tools.lookup_order.timeoutMs", from: 10000, to: 5000 },
    ]);
    const pull = world.github.repository.pull(revert.pr?.number ?? 0);
    expect(pull?.body).toContain(`Reverts plan \`${plan.planId}\``);
    expect(pull?.body).toContain(plan.pr?.url ?? "?");
    await world.github.merge(revert.pr?.number ?? 0);
    await eventually(
      async () => (await world.plan(plan.planId))?.status === "reverted",
      "original reverted",
    );
    expect(world.github.repository.readFile("main", "agents/support.yaml")).toBe(SUPPORT_YAML);
    expect(world.github.problems()).toEqual([]);
  });

  it("without applyOnMerge, a merged plan becomes applied once the user's CD applies the merged file", async () => {
    await using world = await PlanWorld.create(nats);
    await world.startPlan();
    await world.finding({ fingerprint: "fp-cd", kind: "tool_timeouts", target: "search_docs" });
    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "pr-open",
    );
    await world.github.merge(plan.pr?.number ?? 0);
    await eventually(async () => (await world.plan(plan.planId))?.status === "merged", "merged");
    await new Promise((r) => setTimeout(r, 800));
    expect((await world.plan(plan.planId))?.status).toBe("merged"); // nothing applied it yet
    // What `patinox agents apply agents/` in the user's CD does with the merged file:
    const merged = parseDefinition(
      world.github.repository.readFile("main", "agents/support.yaml") ?? "",
      "support.yaml",
    );
    if (!merged.ok) throw merged.error;
    await applyDefinition(world.knowledge, merged.value.definition, {
      appliedBy: "cli:ci",
      reason: "deploy",
    });
    const applied = await eventually(async () => {
      const p = await world.plan(plan.planId);
      return p?.status === "applied" ? p : undefined;
    }, "applied once live");
    expect(applied.appliedVersion).toBe(2);
    expect(applied.history.at(-1)?.reason).toBe("live as version 2");
  });
});

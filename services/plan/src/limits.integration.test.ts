import { jetstream } from "@nats-io/jetstream";
import { createSubjects } from "@patinox/contracts";
import { GitHubSink } from "@patinox/pr-sinks";
import { ModelServer, ModelStep, NatsServer } from "@patinox/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlanController } from "./plan-controller.ts";
import { PlanStore } from "./plan-store.ts";
import { PrSlots } from "./pr-slots.ts";
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

describe("plan limits, new evidence and credentials", () => {
  it("keeps a second plan of the same kind proposed while the open-PR limit is reached, then opens it", async () => {
    await using world = await PlanWorld.create(nats);
    await world.startPlan({ PATINOX_PLAN_MAX_OPEN_PRS: "1" });
    await world.finding({ fingerprint: "fp-one", kind: "tool_timeouts", target: "lookup_order" });
    const first = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "first PR",
    );
    await world.finding({ fingerprint: "fp-two", kind: "tool_timeouts", target: "search_docs" });
    const waiting = await eventually(
      async () => (await world.plans()).find((p) => p.findingFingerprint === "fp-two"),
      "the second plan",
    );
    await new Promise((r) => setTimeout(r, 1500)); // reconcile and poll rounds
    expect((await world.plan(waiting.planId))?.status).toBe("proposed");
    expect(world.github.repository.pulls()).toHaveLength(1);
    // Another kind is counted apart.
    await world.finding({
      fingerprint: "fp-three",
      kind: "validator_rejections",
      target: "output_max_length",
    });
    await eventually(
      async () =>
        (await world.plans()).find(
          (p) => p.findingFingerprint === "fp-three" && p.status === "pr-open",
        ),
      "a PR for another kind",
    );
    await world.github.close(first.pr?.number ?? 0);
    await eventually(
      async () => (await world.plan(waiting.planId))?.status === "pr-open",
      "the waiting plan opened",
    );
    expect(world.github.repository.pulls()).toHaveLength(3);
  });

  it("keeps to the PRs-per-hour limit per finding kind", async () => {
    await using world = await PlanWorld.create(nats);
    await world.startPlan({ PATINOX_PLAN_MAX_PRS_PER_HOUR: "1", PATINOX_PLAN_MAX_OPEN_PRS: "10" });
    await world.finding({ fingerprint: "fp-h1", kind: "tool_timeouts", target: "lookup_order" });
    const first = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "first PR",
    );
    await world.github.close(first.pr?.number ?? 0); // closed: no longer open, still opened this hour
    await world.finding({ fingerprint: "fp-h2", kind: "tool_timeouts", target: "search_docs" });
    const second = await eventually(
      async () => (await world.plans()).find((p) => p.findingFingerprint === "fp-h2"),
      "the second plan",
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect((await world.plan(second.planId))?.status).toBe("proposed");
    expect(world.github.repository.pulls()).toHaveLength(1);
  });

  it("updates the PR body when the finding's evidence changes", async () => {
    await using world = await PlanWorld.create(nats);
    await world.startPlan();
    const finding = await world.finding({
      fingerprint: "fp-ev",
      kind: "tool_timeouts",
      target: "lookup_order",
    });
    const plan = await eventually(
      async () => (await world.plans()).find((p) => p.status === "pr-open"),
      "PR",
    );
    expect(world.github.repository.pull(plan.pr?.number ?? 0)?.body).toContain(
      "| timeout_rate | 0.3100 |",
    );
    // Polls while nothing changes cost one GitHub call each (the PR's state), not a body rebuild.
    await new Promise((r) => setTimeout(r, 700));
    const reads = () => world.github.requests.filter((r) => r.operationId !== "pulls/list").length;
    const before = reads();
    await new Promise((r) => setTimeout(r, 1200)); // four polls
    expect(reads()).toBe(before);
    await world.finding(
      {
        ...finding,
        evidence: { ...finding.evidence, numbers: { timeout_rate: 0.47, calls: 900 } },
      },
      "changed",
    );
    await eventually(
      () =>
        world.github.repository
          .pull(plan.pr?.number ?? 0)
          ?.body?.includes("| timeout_rate | 0.4700 |"),
      "the body with the new evidence",
    );
    expect(world.github.repository.pulls()).toHaveLength(1);
  });

  it("bad credentials make the plan failed with permission_denied, the token nowhere", async () => {
    await using world = await PlanWorld.create(nats);
    const { logs } = await world.startPlan({
      GITHUB_TOKEN: "ghp_WrongToken0123456789abcdefABCDEFGH",
    });
    await world.finding({ fingerprint: "fp-401", kind: "tool_timeouts", target: "lookup_order" });
    const failed = await eventually(
      async () => (await world.plans()).find((p) => p.status === "failed"),
      "failed",
    );
    expect(failed.history.at(-1)?.reason).toMatch(
      /^permission_denied: GitHub answered 401 to find: Bad credentials; retry at /,
    );
    const everything = JSON.stringify(await world.plans()) + logs.join("\n");
    expect(everything).not.toContain("ghp_WrongToken");
    expect(everything).not.toContain(GITHUB_TEST_TOKEN);
    expect(world.github.repository.pulls()).toHaveLength(0);
  });
});

describe("limits across replicas", () => {
  async function controllers(world: PlanWorld, lock: boolean, count: number) {
    const sink = new GitHubSink({
      owner: "acme",
      repo: "behaviour",
      baseBranch: "main",
      baseUrl: world.github.url,
      auth: { kind: "token", token: GITHUB_TEST_TOKEN },
      minWriteIntervalMs: 0,
    });
    const logger = pino({ level: "silent" });
    const store = new PlanStore(
      world.knowledge,
      jetstream(world.nc),
      createSubjects(world.prefix),
      logger,
    );
    return Array.from(
      { length: count },
      () =>
        new PlanController(
          {
            knowledge: world.knowledge,
            store,
            sink,
            logger,
            ...(lock ? { slots: new PrSlots(world.knowledge) } : {}),
          },
          {
            agentsPath: "agents",
            labels: ["patinox"],
            applyOnMerge: false,
            maxOpenPrs: 1,
            maxPrsPerHour: 100,
            retryBaseMs: 100,
            retryMaxMs: 1000,
            models: [],
          },
        ),
    );
  }

  it("replicas reconciling findings of one kind at the same instant keep to an open-PR limit of one", async () => {
    await using world = await PlanWorld.create(nats);
    const fingerprints = ["fp-r1", "fp-r2", "fp-r3"];
    const targets = ["lookup_order", "search_docs", "lookup_order"];
    for (const [i, fingerprint] of fingerprints.entries()) {
      await world.finding({ fingerprint, kind: "tool_timeouts", target: targets[i] as string });
    }
    const replicas = await controllers(world, true, 3);
    await Promise.all(
      replicas.map((c, i) => c.reconcileFinding("support", fingerprints[i] as string)),
    );
    await Promise.all(replicas.map((c) => c.reconcileAll()));
    expect(world.github.repository.pulls()).toHaveLength(1);
    expect((await world.plans()).filter((p) => p.status === "pr-open")).toHaveLength(1);
  });
});

describe("the LLM planner", () => {
  it("proposes an instructions edit for a finding no rule covers, as one PR with a literal-block diff", async () => {
    const yaml = SUPPORT_YAML.replace(
      "evolution:\n  allow:\n",
      "evolution:\n  allow:\n    - path: instructions\n",
    );
    await using world = await PlanWorld.create(nats, yaml);
    const model = await ModelServer.start({
      apiKey: "sk-planner-test-key-0123456789",
      handler: (request) => {
        const asked = JSON.parse(String(request.messages[1]?.content)) as { instructions: string };
        return ModelStep.text(
          JSON.stringify({
            instructions: `${asked.instructions}- Never include internal links in an answer.\n`,
            rationale: "Answers are rejected for internal links.",
          }),
        );
      },
    });
    try {
      const { logs } = await world.startPlan({
        PATINOX_PLAN_LLM_MODEL: "planner-model",
        PATINOX_PLAN_LLM_BASE_URL: model.baseURL,
        PATINOX_PLAN_LLM_API_KEY: "sk-planner-test-key-0123456789",
      });
      await world.finding({
        fingerprint: "fp-links",
        kind: "validator_rejections",
        target: "no_internal_links",
      });
      const plan = await eventually(
        async () => (await world.plans()).find((p) => p.status === "pr-open"),
        "PR",
      );
      expect(plan.kind).toBe("instructions");
      const pull = world.github.repository.pull(plan.pr?.number ?? 0);
      expect(pull?.body).toContain("+  - Never include internal links in an answer.");
      const file = world.github.repository.readFile(pull?.head ?? "", "agents/support.yaml") ?? "";
      const added = file.split("\n").filter((l) => !yaml.split("\n").includes(l));
      expect(added).toEqual(["  - Never include internal links in an answer."]);
      expect(model.chatRequests).toHaveLength(1);
      expect(logs.join("\n")).not.toContain("sk-planner-test-key");
    } finally {
      await model.close();
    }
  });
});

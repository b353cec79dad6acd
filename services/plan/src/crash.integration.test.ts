import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, PlanWorld, planEnv } from "./test-support/plan-harness.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const MAIN = join(ROOT, "services", "plan", "src", "main.ts");

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.stop();
});

/** Plan as a real child process, as Kubernetes would run it. */
function startPlanProcess(world: PlanWorld): {
  child: ChildProcess;
  output: string[];
  exited: Promise<void>;
} {
  const child = spawn(process.execPath, ["--conditions=@patinox/source", "--import", "tsx", MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...planEnv(world.nats, world.github, world.prefix, { PATINOX_PLAN_RECONCILE_MS: "500" }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (d: Buffer) => output.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, output, exited };
}

describe("plan under kill -9", () => {
  // Each step of the pull request flow: Plan is killed right after GitHub answered it.
  const steps = [
    "pulls/list",
    "git/create-ref",
    "repos/create-or-update-file-contents",
    "pulls/create",
    "issues/add-labels",
  ];

  it.each(steps)(
    "killed right after %s, a restarted Plan still opens exactly one pull request",
    async (step) => {
      await using world = await PlanWorld.create(nats);
      const first = startPlanProcess(world);
      let killed = false;
      const unlisten = world.github.onRequest((request) => {
        if (!killed && request.operationId === step && request.status < 400) {
          killed = true;
          first.child.kill("SIGKILL");
        }
      });
      try {
        await world.finding({
          fingerprint: "fp-crash",
          kind: "tool_timeouts",
          target: "lookup_order",
        });
        await eventually(() => killed, `Plan reaching ${step}`, 30_000);
        await first.exited;
        unlisten();
        const second = startPlanProcess(world);
        try {
          const plan = await eventually(
            async () => (await world.plans()).find((p) => p.status === "pr-open"),
            "pr-open after the restart",
            30_000,
          );
          expect(world.github.repository.pulls()).toHaveLength(1);
          expect(world.github.repository.pulls()[0]?.labels).toContain("patinox");
          expect((await world.plans()).length).toBe(1);
          expect(plan.pr?.number).toBe(1);
          expect(world.github.problems()).toEqual([]);
        } finally {
          second.child.kill("SIGKILL");
          await second.exited;
        }
      } finally {
        if (!killed) first.child.kill("SIGKILL");
      }
    },
    90_000,
  );
});

describe("plan replicas and restarts", () => {
  it("two replicas, a restart and redelivered events still give one pull request per finding", async () => {
    await using world = await PlanWorld.create(nats);
    await world.startPlan();
    await world.startPlan();
    const kinds = [
      { fingerprint: "fp-a", kind: "tool_timeouts", target: "lookup_order" },
      { fingerprint: "fp-b", kind: "tool_failures", target: "search_docs" },
      { fingerprint: "fp-c", kind: "validator_rejections", target: "output_max_length" },
    ] as const;
    for (const k of kinds) {
      await world.finding(k);
      await world.finding(k); // the same event twice (a redelivery with a new id)
    }
    await eventually(
      async () => (await world.plans()).filter((p) => p.status === "pr-open").length === 3,
      "three open pull requests",
    );
    const [first] = world.services;
    await first?.service.shutdown("restart");
    await world.startPlan();
    for (const k of kinds) await world.finding(k);
    await new Promise((r) => setTimeout(r, 1500));
    expect(world.github.repository.pulls()).toHaveLength(3);
    expect(new Set(world.github.repository.pulls().map((p) => p.head)).size).toBe(3);
    expect((await world.plans()).length).toBe(3);
    expect(world.github.problems()).toEqual([]);
  });
});

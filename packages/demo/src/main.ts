/**
 * `pnpm demo`: the whole MAPE-K loop on one machine in about 35 seconds, with nothing but Node,
 * git and nats-server. A fresh NATS, the local stack (four services, the simulated model), a
 * local git repository as Plan's pull-request sink, an order tool that is slow at busy moments
 * and an agent whose tool timeout is too tight for it. Traffic flows; Monitor folds it; Analyze
 * finds the tool timing out; Plan proposes a branch raising the timeout; the demo merges it as
 * a reviewer would; Plan applies it; Execute reloads; the timeouts stop; Analyze's verdict ends
 * the demo.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { applyDefinition, loadDefinitionFile } from "@patinox/agents";
import { openKnowledge } from "@patinox/knowledge";
import { findRepositoryRoot, readStackConfig, startStack } from "@patinox/stack";
import { NatsServer } from "@patinox/testkit";
import { BehaviourRepo } from "./behaviour-repo.ts";
import { FlakyOrderTool } from "./flaky-tool.ts";
import { LoopWatcher } from "./loop-watcher.ts";
import { Traffic } from "./traffic.ts";

/** The demo gives up after this long (it normally ends in about 35 seconds). */
const DEMO_TIMEOUT_MS = Number(process.env.PATINOX_DEMO_TIMEOUT_MS ?? 240_000);
/** How long the demo's reviewer looks at a proposal before merging it. */
const REVIEW_MS = 12_000;
/** Short windows so the loop turns in seconds, not minutes. */
const WINDOW_MS = 5_000;

const started = Date.now();
const say = (line: string) =>
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

const workDir = await mkdtemp(join(tmpdir(), "patinox-demo-"));
// Everything started is stopped on the way out, whatever failed (last started, first stopped).
const cleanups: Array<() => Promise<unknown> | unknown> = [
  () => rm(workDir, { recursive: true, force: true }),
];
let exit = 1;
try {
  exit = await runDemo();
} catch (error) {
  say(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
}
process.exitCode = process.exitCode || exit;

/** The demo itself; returns the exit status. */
async function runDemo(): Promise<number> {
  const repo = await BehaviourRepo.create(join(workDir, "behaviour"));
  say(`behaviour repository: ${repo.path} (agents/orders.yaml on main)`);

  const nats = await NatsServer.start();
  cleanups.push(() => nats[Symbol.asyncDispose]());
  say(`NATS ${nats.url} (its own, JetStream in a temporary directory)`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: nats.url,
    // Its own NATS: the default prefix and bucket, whatever the shell says.
    PATINOX_PREFIX: "patinox",
    PATINOX_BUCKET: "patinox",
    LOG_LEVEL: "warn",
    PATINOX_MONITOR_WINDOW_MS: String(WINDOW_MS),
    PATINOX_ANALYZE_INTERVAL_MS: "2000",
    PATINOX_ANALYZE_RESOLVE_AFTER: "2",
    // The loop turns in seconds here, so the "before" side holds few windows: judge the
    // change on 30 calls a side rather than the default 100.
    PATINOX_ANALYZE_EVOLUTION: JSON.stringify({ minSamples: 30 }),
    PATINOX_PLAN_SINK: "git",
    PATINOX_PLAN_GIT_REPO: repo.path,
    PATINOX_PLAN_APPLY_ON_MERGE: "true",
    PATINOX_PLAN_POLL_MS: "1000",
    PATINOX_PLAN_RECONCILE_MS: "2000",
  };
  const stack = await startStack({
    root: findRepositoryRoot(process.cwd()),
    env,
    config: readStackConfig(env),
    // The services' own lines only when something goes wrong: the demo prints the story.
    print: (line) => {
      if (/\b(error|fatal|failed|restarting)\b/i.test(line))
        process.stdout.write(`        ${line}\n`);
    },
  });
  cleanups.push(() => stack.stop());
  say("stack up: execute, monitor, analyze, plan; the simulated model answers");

  const nc = await connect({ servers: nats.url });
  cleanups.push(() => nc.close());
  const knowledge = await openKnowledge(nc);
  const tool = await FlakyOrderTool.serve(nc);
  cleanups.push(() => tool.stop());
  say("order tool up: 2 calls in 5 take 600 ms (busy order system)");

  const { definition } = await loadDefinitionFile(join(repo.path, "agents", "orders.yaml"));
  await applyDefinition(knowledge, definition, { appliedBy: "demo", reason: "initial version" });
  say("applied agents/orders.yaml (lookup_order timeout 250 ms)");

  const traffic = new Traffic(nc, "orders");
  cleanups.push(() => traffic.stop());
  await traffic.ready();
  traffic.start();
  say("traffic: about 15 requests a second");

  const watcher = new LoopWatcher({ knowledge, agent: "orders", say });
  const timeout = setTimeout(() => {
    say(`no verdict after ${DEMO_TIMEOUT_MS / 1000} s; stopping. Last state: ${watcher.summary()}`);
    watcher.stop();
  }, DEMO_TIMEOUT_MS);
  cleanups.push(() => clearTimeout(timeout));

  const outcome = await watcher.run({
    onProposed: async (branch) => {
      // A reviewer takes a moment; it also leaves the "before" side a few full windows.
      say(`reviewer: reading the diff of ${branch} …`);
      process.stdout.write(indent(await repo.diff(branch)));
      await new Promise((resolve) => setTimeout(resolve, REVIEW_MS));
      say(`reviewer: approved; merging ${branch} into main`);
      await repo.merge(branch);
    },
    onApplied: () => say("Execute reloads the new version; runs in flight finish on the old one"),
  });
  if (!outcome) return 1;
  const { plan, evolution } = outcome;
  await traffic.stop();
  process.stdout.write("\n== the plan ==\n");
  process.stdout.write(`${plan.planId} (${plan.kind}) for finding ${plan.findingFingerprint}\n`);
  process.stdout.write(`rationale: ${plan.rationale}\n`);
  process.stdout.write(`status history: ${plan.history.map((h) => h.status).join(" → ")}\n`);
  if (plan.pr) {
    process.stdout.write(`\n== its diff (git, ${plan.pr.branch}) ==\n`);
    process.stdout.write(await repo.git("show", "--format=%s", plan.pr.commit ?? plan.pr.branch));
  }
  process.stdout.write("\n== the verdict ==\n");
  process.stdout.write(`${JSON.stringify(evolution, null, 2)}\n`);
  process.stdout.write(`\nruns: ${traffic.summary()}; tool: ${tool.summary()}\n`);
  return 0;
}

function indent(text: string): string {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => `          ${line}\n`)
    .join("");
}

/**
 * Two Executes (e.g. before and after a change) and the baseline, CPU per run with the model
 * answering at once, in interleaved rounds: on a shared machine whose load drifts, the same
 * drift then hits all three, and the medians of the per-round ratios are steadier than two
 * separate `pnpm bench:execute` runs.
 *
 *   node --conditions=@patinox/source --import tsx services/execute/bench/compare.ts \
 *     <A main.ts> <B main.ts> [rounds=5] [requests=5000]
 *
 * Same parties as `execute.bench.ts` (nats-server, model server, baseline, load generator, each
 * in its own process), same agent and request, `LOG_LEVEL` as set (info when unset);
 * `BENCH_BASELINE_HTTP=undici` puts the baseline on Execute's model transport.
 */
import { mkdtemp } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { applyDefinition } from "@patinox/agents";
import { AgentDefinition } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { freePort, modelServerEntry, NatsServer } from "@patinox/testkit";
import { BenchProcess, logPath, ProcessGroup } from "./bench-process.ts";
import { median } from "./latency-summary.ts";
import { LoadGeneratorProcess } from "./load-generator-process.ts";
import { CpuMeter } from "./process-usage.ts";

const [mainA, mainB, roundsArg, requestsArg] = process.argv.slice(2);
if (mainA === undefined || mainB === undefined) {
  throw new Error("usage: compare.ts <A main.ts> <B main.ts> [rounds] [requests]");
}
const rounds = Number(roundsArg ?? 5);
const requests = Number(requestsArg ?? 5_000);
const IN_FLIGHT = 64;
const MODEL = "simulated-small";
const INSTRUCTIONS = "You answer questions about orders. Be brief.";
const API_KEY = "sk-bench-0000000000000000";
const BODY = JSON.stringify({ v: 1, input: "Where is order 1001? It was due yesterday." });

const dir = await mkdtemp(join(tmpdir(), "patinox-bench-compare-"));
process.stderr.write(`[compare] logs in ${dir}; load average ${loadavg()[0]?.toFixed(1)}\n`);
await using nats = await NatsServer.start();
await using stack = new ProcessGroup();
const model = stack.use(
  BenchProcess.start({
    name: "model",
    entry: modelServerEntry,
    env: { PATINOX_MODEL_PORT: "", PATINOX_MODEL_LATENCY_MS: "0" },
    logFile: logPath(dir, "model"),
  }),
);
const baseURL = (
  JSON.parse(await model.waitForLine((l) => l.startsWith('{"baseURL"'))) as { baseURL: string }
).baseURL;

const baseline = stack.use(
  BenchProcess.start({
    name: "baseline",
    entry: fileURLToPath(new URL("./baseline-server.ts", import.meta.url)),
    env: {
      BENCH_NATS_URL: nats.url,
      BENCH_PREFIX: "cmp.baseline",
      BENCH_ROUTES: JSON.stringify({
        instant: { baseURL, apiKey: API_KEY, model: MODEL, instructions: INSTRUCTIONS },
      }),
    },
    logFile: logPath(dir, "baseline"),
  }),
);
await baseline.waitForLine((l) => l === "baseline ready");

async function startExecute(name: string, entry: string, prefix: string) {
  const port = await freePort();
  const server = stack.use(
    BenchProcess.start({
      name,
      entry,
      env: {
        NATS_URL: nats.url,
        PATINOX_PREFIX: prefix,
        PATINOX_BUCKET: prefix,
        PATINOX_HEALTH_HOST: "127.0.0.1",
        PATINOX_HEALTH_PORT: String(port),
        OPENAI_BASE_URL: baseURL,
        OPENAI_API_KEY: API_KEY,
      },
      logFile: logPath(dir, name),
    }),
  );
  await server.waitForReady(`http://127.0.0.1:${port}/readyz`);
  const nc = await connect({ servers: nats.url });
  try {
    const knowledge = await openKnowledge(nc, { bucket: prefix });
    const agent = {
      v: 1,
      name: "bench-instant",
      description: "compare: one model call, no tools, no validators",
      model: { name: MODEL },
      instructions: INSTRUCTIONS,
      limits: {
        maxConcurrency: 10_000,
        maxQueue: 100_000,
        rateLimit: { requestsPerMinute: 1_000_000, burst: 1_000_000 },
      },
    };
    await applyDefinition(knowledge, AgentDefinition.parse(agent), {
      appliedBy: "bench",
      reason: "compare",
    });
  } finally {
    await nc.close();
  }
  return server;
}

const sides = {
  baseline: { server: baseline, subject: "cmp.baseline.instant.run" },
  A: {
    server: await startExecute("execute-a", mainA, "cmpa"),
    subject: "cmpa.agents.bench-instant.run",
  },
  B: {
    server: await startExecute("execute-b", mainB, "cmpb"),
    subject: "cmpb.agents.bench-instant.run",
  },
};
type SideName = keyof typeof sides;
const names = Object.keys(sides) as SideName[];
const load = stack.use(await LoadGeneratorProcess.start(nats.url));
const natsPid = nats.pid ?? 0;

async function measure(side: SideName, count: number) {
  const { server, subject } = sides[side];
  const meter = new CpuMeter(
    new Map([
      ["server", server.pid],
      ["nats", natsPid],
    ]),
  );
  const result = await load.run({
    subject,
    body: BODY,
    inFlight: IN_FLIGHT,
    requests: count,
    timeoutMs: 60_000,
  });
  const { cpu } = meter.read();
  if (result.failures > 0) throw new Error(`${side}: ${result.failureSamples.join(" | ")}`);
  return {
    msPerRun: ((cpu.server ?? 0) * 1000) / count,
    natsMsPerRun: ((cpu.nats ?? 0) * 1000) / count,
    throughput: result.throughput,
  };
}

for (const side of names) await measure(side, 2_000);
const perRound: Record<SideName, number[]> = { baseline: [], A: [], B: [] };
const ratios = { A: [] as number[], B: [] as number[], BoverA: [] as number[] };
for (let round = 0; round < rounds; round++) {
  // Rotate the order, so no side always runs first after the others.
  const order = names.map((_, i) => names[(i + round) % names.length] as SideName);
  const figures = {} as Record<SideName, Awaited<ReturnType<typeof measure>>>;
  for (const side of order) figures[side] = await measure(side, requests);
  for (const side of names) perRound[side].push(figures[side].msPerRun);
  ratios.A.push(figures.A.msPerRun / figures.baseline.msPerRun);
  ratios.B.push(figures.B.msPerRun / figures.baseline.msPerRun);
  ratios.BoverA.push(figures.B.msPerRun / figures.A.msPerRun);
  process.stdout.write(
    `round ${round + 1}: CPU ms/run baseline ${figures.baseline.msPerRun.toFixed(3)}, A ${figures.A.msPerRun.toFixed(3)}, B ${figures.B.msPerRun.toFixed(3)}; runs/s ${names.map((s) => Math.round(figures[s].throughput)).join(" / ")}; nats ms/run ${names.map((s) => figures[s].natsMsPerRun.toFixed(3)).join(" / ")}; load ${loadavg()[0]?.toFixed(1)}\n`,
  );
}
const fmt = (values: number[]) =>
  `median ${median(values).toFixed(2)} (range ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
process.stdout.write(
  `CPU per run over the baseline's: A ${fmt(ratios.A)}; B ${fmt(ratios.B)}; B / A ${fmt(ratios.BoverA)}\n`,
);

/**
 * `pnpm bench:execute`: Execute's throughput, latency and memory per in-flight run against a
 * hand-written baseline (a plain NATS queue subscription calling the same model server with the
 * `openai` package), in one run. Every party has its own process: nats-server, two model
 * servers (one answering at once, one after a fixed latency), the baseline, Execute and the
 * load generator. A measurement, not a test: it exits 0 when a goal is missed, and says MISSED.
 */

import { mkdtemp, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { applyDefinition } from "@patinox/agents";
import { AgentDefinition, type AgentDefinitionInput } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { freePort, modelServerEntry, NatsServer } from "@patinox/testkit";
import type { BaselineRoute } from "./baseline-server.ts";
import { type BenchOptions, parseBenchOptions, USAGE } from "./bench-options.ts";
import { BenchProcess, logPath, ProcessGroup } from "./bench-process.ts";
import {
  type BenchFigures,
  formatReport,
  type MeasuredPhase,
  type Party,
  type SideFigures,
} from "./bench-report.ts";
import { median } from "./latency-summary.ts";
import { LoadGeneratorProcess } from "./load-generator-process.ts";
import type { LoadResult } from "./load-protocol.ts";
import type { MemoryReading } from "./memory-probe.ts";
import { CpuMeter } from "./process-usage.ts";
import { summariseServiceLog } from "./service-log.ts";

const PREFIX = "bench";
const MODEL = "simulated-small";
const INSTRUCTIONS = "You answer questions about orders. Be brief.";
const INPUT = "Where is order 1001? It was due yesterday.";
/** Any key works for the simulated model; one is sent so both sides do the same. */
const API_KEY = "sk-bench-0000000000000000";
/** Execute's entry; `BENCH_EXECUTE_MAIN` points at another checkout's, to compare a change. */
const EXECUTE_MAIN =
  process.env.BENCH_EXECUTE_MAIN?.trim() ||
  fileURLToPath(new URL("../src/main.ts", import.meta.url));
const BASELINE_MAIN = fileURLToPath(new URL("./baseline-server.ts", import.meta.url));
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * The scenarios, by model server: answering at once (a), after the slow latency (b), and after
 * the hold latency (the memory held by in-flight runs, with almost no traffic).
 */
type Scenario = "instant" | "slow" | "hold";
type Side = "baseline" | "execute";
const SCENARIOS: readonly Scenario[] = ["instant", "slow", "hold"];
const SIDES: readonly Side[] = ["baseline", "execute"];

function subject(side: Side, scenario: Scenario): string {
  return side === "execute"
    ? `${PREFIX}.agents.bench-${scenario}.run`
    : `${PREFIX}.baseline.${scenario}.run`;
}

/** An agent that only asks the model, with limits far above what the bench sends. */
function benchAgent(scenario: Scenario): AgentDefinitionInput {
  return {
    v: 1,
    name: `bench-${scenario}`,
    description: "pnpm bench:execute: one model call, no tools, no validators",
    model: { name: MODEL, ...(scenario === "instant" ? {} : { provider: scenario }) },
    instructions: INSTRUCTIONS,
    limits: {
      maxConcurrency: 10_000,
      maxQueue: 100_000,
      rateLimit: { requestsPerMinute: 1_000_000, burst: 1_000_000 },
    },
  };
}

async function startModelServer(dir: string, name: string, latencyMs: number) {
  const server = BenchProcess.start({
    name,
    entry: modelServerEntry,
    env: { PATINOX_MODEL_PORT: "", PATINOX_MODEL_LATENCY_MS: String(latencyMs) },
    logFile: logPath(dir, name),
  });
  const line = await server.waitForLine((l) => l.startsWith('{"baseURL"'));
  return { server, baseURL: (JSON.parse(line) as { baseURL: string }).baseURL };
}

/** Median resident set size over `count` samples `everyMs` apart. */
async function sampleRss(process: BenchProcess, count: number, everyMs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    samples.push(process.rssBytes());
    await delay(everyMs);
  }
  return median(samples);
}

/** Runs `phase` while sampling the server's RSS every 100 ms; returns the median sample. */
async function whileSampling(
  server: BenchProcess,
  phase: () => Promise<LoadResult>,
): Promise<{ result: LoadResult; rssBytes: number }> {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(server.rssBytes()), 100);
  try {
    const result = await phase();
    return { result, rssBytes: median(samples.length > 0 ? samples : [server.rssBytes()]) };
  } finally {
    clearInterval(timer);
  }
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(options: BenchOptions): Promise<BenchFigures> {
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  const dir = await mkdtemp(join(tmpdir(), "patinox-bench-execute-"));
  progress(`logs${options.profile ? " and CPU profiles" : ""} in ${dir}`);
  await using nats = await NatsServer.start();
  const latencies: Record<Scenario, number> = {
    instant: 0,
    slow: options.modelLatencyMs,
    hold: options.holdMs,
  };
  const models = {} as Record<Scenario, { server: BenchProcess; baseURL: string }>;
  await using stack = new ProcessGroup();
  for (const scenario of SCENARIOS) {
    models[scenario] = await startModelServer(dir, `model-${scenario}`, latencies[scenario]);
    stack.use(models[scenario].server);
  }

  const profileFlags = (name: string) =>
    options.profile ? ["--cpu-prof", `--cpu-prof-dir=${join(dir, `profile-${name}`)}`] : [];
  const routes = {} as Record<Scenario, BaselineRoute>;
  const providers: Record<string, { baseURL: string; apiKey: string }> = {};
  for (const scenario of SCENARIOS) {
    const { baseURL } = models[scenario];
    routes[scenario] = { baseURL, apiKey: API_KEY, model: MODEL, instructions: INSTRUCTIONS };
    if (scenario !== "instant") providers[scenario] = { baseURL, apiKey: API_KEY };
  }
  // A known port, so readiness is read from /readyz whatever LOG_LEVEL says.
  const executeHealthPort = await freePort();
  const servers: Record<Side, BenchProcess> = {
    baseline: BenchProcess.start({
      name: "baseline",
      entry: BASELINE_MAIN,
      env: {
        BENCH_NATS_URL: nats.url,
        BENCH_PREFIX: `${PREFIX}.baseline`,
        BENCH_ROUTES: JSON.stringify(routes),
        BENCH_BASELINE_HTTP: options.baselineHttp,
      },
      logFile: logPath(dir, "baseline"),
      nodeFlags: profileFlags("baseline"),
      memoryProbe: true,
    }),
    execute: BenchProcess.start({
      name: "execute",
      entry: EXECUTE_MAIN,
      env: {
        NATS_URL: nats.url,
        PATINOX_PREFIX: PREFIX,
        PATINOX_BUCKET: PREFIX,
        PATINOX_HEALTH_HOST: "127.0.0.1",
        PATINOX_HEALTH_PORT: String(executeHealthPort),
        OPENAI_BASE_URL: models.instant.baseURL,
        OPENAI_API_KEY: API_KEY,
        PATINOX_PROVIDERS: JSON.stringify(providers),
      },
      logFile: logPath(dir, "execute"),
      nodeFlags: profileFlags("execute"),
      memoryProbe: true,
    }),
  };
  stack.use(servers.baseline);
  stack.use(servers.execute);
  await servers.baseline.waitForLine((l) => l === "baseline ready");
  await servers.execute.waitForReady(`http://127.0.0.1:${executeHealthPort}/readyz`);

  const nc = await connect({ servers: nats.url, name: "bench" });
  try {
    const knowledge = await openKnowledge(nc, { bucket: PREFIX });
    for (const scenario of SCENARIOS) {
      await applyDefinition(knowledge, AgentDefinition.parse(benchAgent(scenario)), {
        appliedBy: "bench",
        reason: "pnpm bench:execute",
      });
    }
  } finally {
    await nc.close();
  }

  const load = stack.use(await LoadGeneratorProcess.start(nats.url));
  const body = JSON.stringify({ v: 1, input: INPUT });
  let executeRequests = 0;
  const phase = async (side: Side, scenario: Scenario, requests: number) => {
    if (side === "execute") executeRequests += requests;
    return await load.run({
      subject: subject(side, scenario),
      body,
      inFlight: scenario === "instant" ? options.instantInFlight : options.slowInFlight,
      requests,
      timeoutMs: REQUEST_TIMEOUT_MS + latencies[scenario],
    });
  };
  const warmUp = async (side: Side, scenario: Scenario, requests: number) => {
    const result = await phase(side, scenario, requests);
    if (result.failures > 0) {
      throw new Error(
        `warm-up of ${side} (${scenario}) failed ${result.failures} requests: ${result.failureSamples.join(" | ")}; logs in ${dir}`,
      );
    }
  };
  const natsPid = nats.pid;
  if (natsPid === undefined) throw new Error("nats-server is not running");
  const measure = async (
    side: Side,
    scenario: Scenario,
    run: () => Promise<{ result: LoadResult; rssBytes?: number }>,
  ): Promise<{ phase: MeasuredPhase; rssBytes: number | undefined }> => {
    const meter = new CpuMeter(
      new Map<Party, number>([
        ["server", servers[side].pid],
        ["nats", natsPid],
        ["model", models[scenario].server.pid],
        ["load", load.pid],
      ]),
    );
    const { result, rssBytes } = await run();
    const { wallSeconds, cpu } = meter.read();
    return {
      phase: { load: result, cpu: { wallSeconds, cpu: cpu as Record<Party, number> } },
      rssBytes,
    };
  };

  // Idle: the code paths loaded and compiled by a light warm-up, then nothing in flight.
  const idleRssBytes = {} as Record<Side, number>;
  const idleAfterGc = {} as Record<Side, MemoryReading>;
  for (const side of SIDES) {
    progress(`${side}: warming up`);
    await warmUp(side, "instant", 2_000);
    await delay(1_000);
    idleRssBytes[side] = await sampleRss(servers[side], 5, 200);
    idleAfterGc[side] = await servers[side].collectAndRead();
  }

  // Held: every run waits on the hold model; memory is read after a full GC, once every run has
  // long been admitted, so what is counted is what runs hold rather than garbage.
  const heldAfterGc = {} as Record<Side, MemoryReading>;
  for (const side of SIDES) {
    progress(`memory ${side}: ${options.slowInFlight} runs held for ${options.holdMs} ms`);
    const held = phase(side, "hold", options.slowInFlight);
    await delay(options.holdMs * 0.75);
    heldAfterGc[side] = await servers[side].collectAndRead();
    const result = await held;
    if (result.failures > 0) {
      throw new Error(`held runs of ${side} failed: ${result.failureSamples.join(" | ")}`);
    }
  }

  // Sides alternate within each scenario, so a drift in the machine's load hits both alike.
  const slow = {} as Record<Side, MeasuredPhase>;
  const inFlightRssBytes = {} as Record<Side, number>;
  for (const side of SIDES) {
    progress(`(b) ${side}: ${options.slowRequests} requests, ${options.slowInFlight} in flight`);
    await warmUp(side, "slow", Math.max(3 * options.slowInFlight, options.slowRequests / 5));
    const measured = await measure(side, "slow", () =>
      whileSampling(servers[side], () => phase(side, "slow", options.slowRequests)),
    );
    slow[side] = measured.phase;
    inFlightRssBytes[side] = measured.rssBytes ?? Number.NaN;
  }
  const instant = {} as Record<Side, MeasuredPhase>;
  for (const side of SIDES) {
    progress(
      `(a) ${side}: ${options.instantRequests} requests, ${options.instantInFlight} in flight`,
    );
    await warmUp(side, "instant", Math.max(1_000, options.instantRequests / 5));
    const measured = await measure(side, "instant", async () => ({
      result: await phase(side, "instant", options.instantRequests),
    }));
    instant[side] = measured.phase;
  }

  const figures = (side: Side): SideFigures => ({
    instant: instant[side],
    slow: slow[side],
    idleRssBytes: idleRssBytes[side],
    inFlightRssBytes: inFlightRssBytes[side],
    idleAfterGc: idleAfterGc[side],
    heldAfterGc: heldAfterGc[side],
  });
  const executeLog = {
    ...(await summariseServiceLog(servers.execute.logFile)),
    requestsSent: executeRequests,
  };
  return {
    date: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? Number.NaN },
    options,
    baseline: figures("baseline"),
    execute: figures("execute"),
    executeLog,
  };
}

const options = parseBenchOptions(process.argv.slice(2), process.env);
if (options === "help") {
  process.stdout.write(USAGE);
} else {
  const figures = await main(options);
  process.stdout.write(`${formatReport(figures)}\n`);
  if (options.jsonFile !== undefined) {
    await writeFile(options.jsonFile, `${JSON.stringify(figures, null, 2)}\n`);
  }
}

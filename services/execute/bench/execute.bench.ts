/**
 * `pnpm bench:execute`: Execute's throughput, latency and memory per in-flight run against a
 * hand-written baseline (a plain NATS queue subscription calling the same model server with the
 * `openai` package), in one run. Every party has its own process: nats-server, two model
 * servers (one answering at once, one after a fixed latency), the baseline, Execute and the
 * load generator. A measurement, not a test: it exits 0 when a goal is missed, and says MISSED.
 */

import { mkdtemp, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { applyDefinition } from "@patinox/agents";
import { AgentDefinition, type AgentDefinitionInput } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { modelServerEntry, NatsServer } from "@patinox/testkit";
import type { BaselineRoute } from "./baseline-server.ts";
import { type BenchOptions, parseBenchOptions, USAGE } from "./bench-options.ts";
import { BenchProcess, logPath } from "./bench-process.ts";
import { type BenchFigures, formatReport, type SideFigures } from "./bench-report.ts";
import { median } from "./latency-summary.ts";
import { LoadGeneratorProcess } from "./load-generator-process.ts";
import type { LoadResult } from "./load-protocol.ts";

const PREFIX = "bench";
const MODEL = "simulated-small";
const INSTRUCTIONS = "You answer questions about orders. Be brief.";
const INPUT = "Where is order 1001? It was due yesterday.";
/** Any key works for the simulated model; one is sent so both sides do the same. */
const API_KEY = "sk-bench-0000000000000000";
const EXECUTE_MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const BASELINE_MAIN = fileURLToPath(new URL("./baseline-server.ts", import.meta.url));
const REQUEST_TIMEOUT_MS = 60_000;

/** The scenarios, by name: which model server, and the subject of each side. */
type Scenario = "instant" | "slow";
type Side = "baseline" | "execute";

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
    model: { name: MODEL, ...(scenario === "slow" ? { provider: "slow" } : {}) },
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
  const dir = await mkdtemp(join(tmpdir(), "patinox-bench-execute-"));
  progress(`logs${options.profile ? " and CPU profiles" : ""} in ${dir}`);
  await using nats = await NatsServer.start();
  const instant = await startModelServer(dir, "model-instant", 0);
  await using _instantModel = instant.server;
  const slow = await startModelServer(dir, "model-slow", options.modelLatencyMs);
  await using _slowModel = slow.server;

  const profileFlags = (name: string) =>
    options.profile ? ["--cpu-prof", `--cpu-prof-dir=${join(dir, `profile-${name}`)}`] : [];
  const routes: Record<Scenario, BaselineRoute> = {
    instant: {
      baseURL: instant.baseURL,
      apiKey: API_KEY,
      model: MODEL,
      instructions: INSTRUCTIONS,
    },
    slow: { baseURL: slow.baseURL, apiKey: API_KEY, model: MODEL, instructions: INSTRUCTIONS },
  };
  const servers: Record<Side, BenchProcess> = {
    baseline: BenchProcess.start({
      name: "baseline",
      entry: BASELINE_MAIN,
      env: {
        BENCH_NATS_URL: nats.url,
        BENCH_PREFIX: `${PREFIX}.baseline`,
        BENCH_ROUTES: JSON.stringify(routes),
      },
      logFile: logPath(dir, "baseline"),
      nodeFlags: profileFlags("baseline"),
    }),
    execute: BenchProcess.start({
      name: "execute",
      entry: EXECUTE_MAIN,
      env: {
        NATS_URL: nats.url,
        PATINOX_PREFIX: PREFIX,
        PATINOX_BUCKET: PREFIX,
        PATINOX_HEALTH_HOST: "127.0.0.1",
        PATINOX_HEALTH_PORT: "0",
        OPENAI_BASE_URL: instant.baseURL,
        OPENAI_API_KEY: API_KEY,
        PATINOX_PROVIDERS: JSON.stringify({ slow: { baseURL: slow.baseURL, apiKey: API_KEY } }),
      },
      logFile: logPath(dir, "execute"),
      nodeFlags: profileFlags("execute"),
    }),
  };
  await using _baseline = servers.baseline;
  await using _execute = servers.execute;
  await servers.baseline.waitForLine((l) => l === "baseline ready");
  await servers.execute.waitForLine((l) => l.includes('"msg":"execute started"'));

  const nc = await connect({ servers: nats.url, name: "bench" });
  try {
    const knowledge = await openKnowledge(nc, { bucket: PREFIX });
    for (const scenario of ["instant", "slow"] as const) {
      await applyDefinition(knowledge, AgentDefinition.parse(benchAgent(scenario)), {
        appliedBy: "bench",
        reason: "pnpm bench:execute",
      });
    }
  } finally {
    await nc.close();
  }

  await using load = await LoadGeneratorProcess.start(nats.url);
  const body = JSON.stringify({ v: 1, input: INPUT });
  const phase = async (side: Side, scenario: Scenario, requests: number) => {
    const inFlight = scenario === "instant" ? options.instantInFlight : options.slowInFlight;
    return await load.run({
      subject: subject(side, scenario),
      body,
      inFlight,
      requests,
      timeoutMs: REQUEST_TIMEOUT_MS,
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

  // Idle: the code paths loaded and compiled by a light warm-up, then nothing in flight.
  const idleRssBytes: Partial<Record<Side, number>> = {};
  for (const side of ["baseline", "execute"] as const) {
    progress(`${side}: warming up`);
    await warmUp(side, "instant", 2_000);
    await delay(1_000);
    idleRssBytes[side] = await sampleRss(servers[side], 5, 200);
  }

  // Sides alternate within each scenario, so a drift in the machine's load hits both alike.
  const results: Partial<Record<`${Side}-${Scenario}`, LoadResult>> = {};
  const inFlightRssBytes: Partial<Record<Side, number>> = {};
  for (const side of ["baseline", "execute"] as const) {
    progress(`(b) ${side}: ${options.slowRequests} requests, ${options.slowInFlight} in flight`);
    await warmUp(side, "slow", Math.max(3 * options.slowInFlight, options.slowRequests / 5));
    const measured = await whileSampling(servers[side], () =>
      phase(side, "slow", options.slowRequests),
    );
    results[`${side}-slow`] = measured.result;
    inFlightRssBytes[side] = measured.rssBytes;
  }
  for (const side of ["baseline", "execute"] as const) {
    progress(
      `(a) ${side}: ${options.instantRequests} requests, ${options.instantInFlight} in flight`,
    );
    await warmUp(side, "instant", Math.max(1_000, options.instantRequests / 5));
    results[`${side}-instant`] = await phase(side, "instant", options.instantRequests);
  }

  const figures = (side: Side): SideFigures => ({
    instant: required(results[`${side}-instant`]),
    slow: required(results[`${side}-slow`]),
    idleRssBytes: required(idleRssBytes[side]),
    inFlightRssBytes: required(inFlightRssBytes[side]),
  });
  return {
    date: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    options,
    baseline: figures("baseline"),
    execute: figures("execute"),
  };
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("a phase did not run");
  return value;
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

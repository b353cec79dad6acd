/**
 * `pnpm bench:monitor`: Monitor's ingest rate (telemetry events folded per second, exactly once
 * on) against a raw JetStream consumer reading the same events and doing nothing but ack them,
 * from one run, and the ratio (goal ≥ 0.60). Both read the same stream, already full, through
 * their own durable pull consumer. A measurement, not a test: it exits 0 when the goal is missed
 * and says MISSED.
 *
 * Options (environment): BENCH_EVENTS (default 60000), BENCH_AGENTS (default 8), BENCH_ROUNDS
 * (default 3: raw consumer and Monitor alternate, the median ratio is the result),
 * BENCH_MONITOR_MAIN (another checkout's `services/monitor/src/main.ts`, to compare a change).
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { createSubjects, MetricWindow, streamNames, type TelemetryEvent } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { ensureStream, installationStreams } from "@patinox/streams";
import { NatsServer } from "@patinox/testkit";

const PREFIX = "bench";
const EVENTS = Number(process.env.BENCH_EVENTS ?? 60_000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 8);
const GOAL = 0.6;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MONITOR_MAIN =
  process.env.BENCH_MONITOR_MAIN ?? fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** A realistic mix: a run, two model calls and a tool call per four events. */
function events(count: number): TelemetryEvent[] {
  const now = Date.now();
  const out: TelemetryEvent[] = [];
  for (let i = 0; i < count; i++) {
    const envelope = {
      v: 1 as const,
      id: `bench-${i}`,
      at: new Date(now - 300_000 + ((i * 7919) % 300_000)).toISOString(),
      service: "execute",
      agent: `agent-${i % AGENTS}`,
    };
    switch (i % 4) {
      case 0:
        out.push({
          ...envelope,
          type: "run.completed",
          runId: `run-${i}`,
          agentVersion: 1,
          status: i % 20 === 0 ? "failed" : "completed",
          ...(i % 20 === 0 ? { errorCode: "tool_failure" as const } : {}),
          latencyMs: 200 + ((i * 31) % 4_000),
          inputTokens: 300,
          outputTokens: 120,
          costUsd: 0.0009,
          steps: 2,
        });
        break;
      case 1:
      case 2:
        out.push({
          ...envelope,
          type: "model.call",
          model: "gpt-4.1-mini",
          status: "ok",
          latencyMs: 150 + (i % 900),
          inputTokens: 150,
          outputTokens: 60,
          fallback: false,
          attempt: 1,
        });
        break;
      default:
        out.push({
          ...envelope,
          type: "tool.call",
          tool: "lookup",
          status: i % 13 === 0 ? "timeout" : "ok",
          latencyMs: 20 + (i % 300),
          attempt: 1,
        });
    }
  }
  return out;
}

async function main(): Promise<void> {
  await using nats = await NatsServer.start();
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const names = streamNames(PREFIX);
  await ensureStream(
    jsm,
    installationStreams({ prefix: PREFIX, telemetryMaxBytes: 512 * 1024 * 1024 }).telemetry,
  );

  const subjects = createSubjects(PREFIX);
  const all = events(EVENTS);
  process.stdout.write(`publishing ${EVENTS} telemetry events for ${AGENTS} agents…\n`);
  for (let i = 0; i < all.length; i += 1_000) {
    await Promise.all(
      all
        .slice(i, i + 1_000)
        .map((e) =>
          js.publish(subjects.telemetry(e.service, e.type), JSON.stringify(e), { msgID: e.id }),
        ),
    );
  }
  const lastSeq = (await jsm.streams.info(names.telemetry)).state.last_seq;
  const expectedRuns = all.filter((e) => e.type === "run.completed").length;
  process.stdout.write(
    `events            ${EVENTS} (${AGENTS} agents, 5 windows of 60 s each → ${AGENTS * 5} window keys)\n`,
  );

  // Rounds alternate the raw consumer and Monitor, each on a consumer (and Monitor on a bucket)
  // of its own over the same stream, so a change in the machine's load hits both sides.
  const rounds: Array<{ raw: Side; monitor: Side; ratio: number }> = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const raw = await rawConsumer(nc, js, jsm, names.telemetry, `raw-${round}`);
      const monitor = await monitorProcess(jsm, nats.url, names.telemetry, round, lastSeq);
      const runs = await countedRuns(nc, `patinox-${round}`);
      const ratio = monitor.rate / raw.rate;
      rounds.push({ raw, monitor, ratio });
      process.stdout.write(
        [
          `round ${round}`,
          `  raw consumer    ${describe(raw)} (pull, ack each, nothing else)`,
          `  monitor         ${describe(monitor)} (parse, fold, compare-and-set windows, ack)`,
          `  runs counted    ${runs} of ${expectedRuns} (${runs === expectedRuns ? "exact" : "WRONG"})`,
          `  ratio           ${ratio.toFixed(2)}`,
          "",
        ].join("\n"),
      );
    }
  } finally {
    await nc.close();
  }
  const ratio = median(rounds.map((r) => r.ratio));
  const cpu = median(rounds.map((r) => r.monitor.cpuUsPerEvent / r.raw.cpuUsPerEvent));
  process.stdout.write(
    [
      `ratio (median of ${ROUNDS})  ${ratio.toFixed(2)} (goal ≥ ${GOAL.toFixed(2)}: ${ratio >= GOAL ? "met" : "MISSED"})`,
      `CPU per event, Monitor / raw consumer (median)  ${cpu.toFixed(2)}`,
      "",
    ].join("\n"),
  );
}

/** One side's measured phase. */
interface Side {
  readonly seconds: number;
  readonly rate: number;
  readonly cpuUsPerEvent: number;
}

function describe(side: Side): string {
  return `${Math.round(side.rate)} events/s (${side.seconds.toFixed(2)} s; ${side.cpuUsPerEvent.toFixed(1)} µs CPU per event)`;
}

/** The baseline: a durable pull consumer in this process that acks each message, nothing else. */
async function rawConsumer(
  nc: NatsConnection,
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  durable: string,
): Promise<Side> {
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 1_000,
  });
  const consumer = await js.consumers.get(stream, durable);
  let seen = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const messages = await consumer.consume({ max_messages: 1_000 });
  for await (const msg of messages) {
    msg.ack();
    if (++seen === EVENTS) break;
  }
  await nc.flush(); // the acks are out
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { seconds, rate: EVENTS / seconds, cpuUsPerEvent: (cpu.user + cpu.system) / EVENTS };
}

/**
 * Monitor as it runs in production (its own process from `src/main.ts`, exactly once on,
 * default batch size), on a consumer and bucket of this round. Timed from its first delivery to
 * its ack floor reaching the last event, so its start-up (tsx, connecting, the lease) is not
 * counted against it.
 */
async function monitorProcess(
  jsm: JetStreamManager,
  natsUrl: string,
  stream: string,
  round: number,
  lastSeq: number,
): Promise<Side> {
  const durable = `monitor-${round}`;
  const monitor = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] : []),
      "--conditions=@patinox/source",
      "--import",
      "tsx",
      MONITOR_MAIN,
    ],
    {
      env: {
        ...process.env,
        NATS_URL: natsUrl,
        PATINOX_PREFIX: PREFIX,
        PATINOX_BUCKET: `patinox-${round}`,
        PATINOX_MONITOR_CONSUMER: durable,
        PATINOX_HEALTH_PORT: "0",
        PATINOX_TELEMETRY_MAX_BYTES: String(512 * 1024 * 1024),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  try {
    const first = await waitFor(async () => {
      const info = await jsm.consumers.info(stream, durable).catch(() => undefined);
      return info !== undefined && info.delivered.stream_seq > 0;
    });
    const cpuStart = processCpuUs(monitor.pid);
    await waitFor(async () => {
      const info = await jsm.consumers.info(stream, durable);
      return info.ack_floor.stream_seq >= lastSeq;
    });
    const seconds = (performance.now() - first) / 1000;
    const cpuUs = processCpuUs(monitor.pid) - cpuStart;
    return { seconds, rate: EVENTS / seconds, cpuUsPerEvent: cpuUs / EVENTS };
  } finally {
    monitor.kill("SIGTERM");
    await new Promise((resolve) => monitor.once("exit", resolve));
  }
}

/** Exactly once, checked: the runs over every window of the bucket. */
async function countedRuns(nc: NatsConnection, bucket: string): Promise<number> {
  const knowledge = await openKnowledge(nc, { bucket });
  let runs = 0;
  for (const key of await knowledge.keys("metrics.>")) {
    runs += (await knowledge.get(key, MetricWindow))?.value.runs ?? 0;
  }
  return runs;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * User + system CPU time of a process so far, in microseconds (`/proc/<pid>/stat`, Linux): the
 * figure least disturbed by other load on the machine.
 */
function processCpuUs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // Fields 14 and 15 of stat (utime, stime) in clock ticks: 12 and 13 after the ") " split.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

/** `getconf CLK_TCK`: 100 on Linux for every architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Polls until `probe` holds; returns the time (performance.now) it first held. */
async function waitFor(probe: () => Promise<boolean>, timeoutMs = 300_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe()) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`not done within ${timeoutMs} ms`);
}

await main();

/**
 * `pnpm bench:monitor`: Monitor's ingest rate (telemetry events folded per second, exactly once
 * on) against a raw JetStream consumer reading the same events and doing nothing but ack them,
 * from one run, and the ratio (goal ≥ 0.60). Both read the same stream, already full, through
 * their own durable pull consumer. A measurement, not a test: it exits 0 when the goal is missed
 * and says MISSED.
 *
 * Options (environment): BENCH_EVENTS (default 60000), BENCH_AGENTS (default 8),
 * BENCH_MONITOR_MAIN (another checkout's `services/monitor/src/main.ts`, to compare a change).
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { createSubjects, MetricWindow, streamNames, type TelemetryEvent } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { ensureStream, installationStreams } from "@patinox/streams";
import { NatsServer } from "@patinox/testkit";

const PREFIX = "bench";
const EVENTS = Number(process.env.BENCH_EVENTS ?? 60_000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 8);
const GOAL = 0.6;
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

  // Baseline: a durable pull consumer that acks each message and does nothing else.
  await jsm.consumers.add(names.telemetry, {
    durable_name: "raw",
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 1_000,
  });
  const raw = await js.consumers.get(names.telemetry, "raw");
  let seen = 0;
  const rawStart = performance.now();
  const rawCpuStart = process.cpuUsage();
  const messages = await raw.consume({ max_messages: 1_000 });
  for await (const msg of messages) {
    msg.ack();
    if (++seen === EVENTS) break;
  }
  await nc.flush();
  const rawSeconds = (performance.now() - rawStart) / 1000;
  const rawCpu = process.cpuUsage(rawCpuStart);
  const rawCpuUs = rawCpu.user + rawCpu.system;

  // Monitor, as it runs in production: its own process, exactly once on, default batch size.
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
        NATS_URL: nats.url,
        PATINOX_PREFIX: PREFIX,
        PATINOX_HEALTH_PORT: "0",
        PATINOX_TELEMETRY_MAX_BYTES: String(512 * 1024 * 1024),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  try {
    // Timed from Monitor's first delivery to its ack floor reaching the last event, so its
    // start-up (tsx, connecting, the lease) is not counted against it.
    const first = await waitFor(async () => {
      const info = await jsm.consumers.info(names.telemetry, "monitor").catch(() => undefined);
      return info !== undefined && info.delivered.stream_seq > 0;
    });
    const monitorCpuStart = processCpuUs(monitor.pid);
    await waitFor(async () => {
      const info = await jsm.consumers.info(names.telemetry, "monitor");
      return info.ack_floor.stream_seq >= lastSeq;
    });
    const monitorSeconds = (performance.now() - first) / 1000;
    const monitorCpuUs = processCpuUs(monitor.pid) - monitorCpuStart;

    const rawRate = EVENTS / rawSeconds;
    const monitorRate = EVENTS / monitorSeconds;
    const ratio = monitorRate / rawRate;
    const windows = (await jsm.streams.info(`KV_patinox`)).state.messages;
    // Exactly once, checked: every run counted once, whatever the speed.
    const knowledge = await openKnowledge(nc, { bucket: "patinox" });
    let runs = 0;
    for (const key of await knowledge.keys("metrics.>")) {
      runs += (await knowledge.get(key, MetricWindow))?.value.runs ?? 0;
    }
    const expectedRuns = all.filter((e) => e.type === "run.completed").length;
    process.stdout.write(
      [
        "",
        `events            ${EVENTS} (${AGENTS} agents, 5 windows of 60 s each → ${AGENTS * 5} window keys; ${windows} window writes kept in the bucket)`,
        `raw consumer      ${Math.round(rawRate)} events/s (${rawSeconds.toFixed(2)} s; pull, ack each, nothing else; ${(rawCpuUs / EVENTS).toFixed(1)} µs CPU per event)`,
        `monitor           ${Math.round(monitorRate)} events/s (${monitorSeconds.toFixed(2)} s; parse, fold, compare-and-set windows, ack; ${(monitorCpuUs / EVENTS).toFixed(1)} µs CPU per event)`,
        `runs counted      ${runs} of ${expectedRuns} (${runs === expectedRuns ? "exact" : "WRONG"})`,
        `ratio             ${ratio.toFixed(2)} (goal ≥ ${GOAL.toFixed(2)}: ${ratio >= GOAL ? "met" : "MISSED"})`,
        "",
      ].join("\n"),
    );
  } finally {
    monitor.kill("SIGTERM");
    await new Promise((resolve) => monitor.once("exit", resolve));
    await nc.close();
  }
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

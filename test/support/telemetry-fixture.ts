import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { createSubjects, MetricWindow, streamNames, type TelemetryEvent } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { emptyWindow, foldEvents, type SequencedEvent, windowOf } from "@patinox/monitor";

/** Window length the Monitor tests run with. */
export const TEST_WINDOW_MS = 10_000;

/** Monitor's environment for a test: short windows, small batches, short ack wait and lease. */
export function monitorEnv(
  natsUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NATS_URL: natsUrl,
    PATINOX_PREFIX: prefix,
    PATINOX_BUCKET: `${prefix}-kb`,
    PATINOX_MONITOR_WINDOW_MS: String(TEST_WINDOW_MS),
    PATINOX_MONITOR_BATCH: "50",
    PATINOX_MONITOR_ACK_WAIT_MS: "1000",
    PATINOX_MONITOR_LEASE_TTL_MS: "1500",
    // JetStream reserves a stream's max bytes up front: keep the test servers' stores small.
    PATINOX_TELEMETRY_MAX_BYTES: String(64 * 1024 * 1024),
    LOG_LEVEL: "info",
    ...extra,
  };
}

/**
 * `count` valid telemetry events of three agents over three windows (a few minutes ago), all
 * kinds mixed, deterministic for a given `seed`.
 */
export function telemetryEvents(count: number, seed = 1): TelemetryEvent[] {
  const base = Math.floor((Date.now() - 120_000) / TEST_WINDOW_MS) * TEST_WINDOW_MS;
  let s = seed;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    return s % n;
  };
  const events: TelemetryEvent[] = [];
  for (let i = 0; i < count; i++) {
    const agent = ["alpha", "beta", "gamma"][rnd(3)] as string;
    const envelope = {
      v: 1 as const,
      id: `ev-${seed}-${i}`,
      at: new Date(base + rnd(3 * TEST_WINDOW_MS)).toISOString(),
      service: "execute",
      agent,
    };
    switch (rnd(5)) {
      case 0:
      case 1: {
        const status = (["completed", "completed", "failed", "max_steps"] as const)[rnd(4)];
        events.push({
          ...envelope,
          type: "run.completed",
          runId: `run-${i}`,
          agentVersion: 1 + rnd(2),
          status: status ?? "completed",
          ...(status === "failed" ? { errorCode: "tool_failure" as const } : {}),
          latencyMs: 50 + rnd(5_000),
          inputTokens: rnd(1_000),
          outputTokens: rnd(500),
          costUsd: rnd(100) / 10_000,
          steps: 1 + rnd(4),
        });
        break;
      }
      case 2:
        events.push({
          ...envelope,
          type: "model.call",
          model: ["gpt-4.1", "llama3.1:8b"][rnd(2)] as string,
          status: (["ok", "ok", "error", "timeout"] as const)[rnd(4)] ?? "ok",
          latencyMs: rnd(3_000),
          inputTokens: rnd(1_000),
          outputTokens: rnd(300),
          fallback: rnd(5) === 0,
          attempt: 1,
        });
        break;
      case 3:
        events.push({
          ...envelope,
          type: "tool.call",
          tool: ["search", "weather"][rnd(2)] as string,
          status: (["ok", "ok", "error", "timeout", "invalid_args"] as const)[rnd(5)] ?? "ok",
          latencyMs: rnd(2_000),
          attempt: 1,
        });
        break;
      default:
        events.push({
          ...envelope,
          type: "validator.verdict",
          validator: "deny-patterns",
          stage: "input",
          verdict: rnd(4) === 0 ? "reject" : "approve",
        });
    }
  }
  return events;
}

/** Publishes events through JetStream with their id as `Nats-Msg-Id`; returns them with their sequence. */
export async function publishEvents(
  nc: NatsConnection,
  prefix: string,
  events: readonly TelemetryEvent[],
): Promise<SequencedEvent[]> {
  const js = jetstream(nc);
  const subjects = createSubjects(prefix);
  const sequenced: SequencedEvent[] = [];
  // In flights of 100: fast, and each ack still tells the event's sequence.
  for (let i = 0; i < events.length; i += 100) {
    const slice = events.slice(i, i + 100);
    const acks = await Promise.all(
      slice.map((event) =>
        js.publish(subjects.telemetry(event.service, event.type), JSON.stringify(event), {
          msgID: event.id,
        }),
      ),
    );
    acks.forEach((ack, j) => {
      if (!ack.duplicate) sequenced.push({ seq: ack.seq, event: slice[j] as TelemetryEvent });
    });
  }
  return sequenced;
}

type Comparable = Omit<MetricWindow, "highWater" | "updatedAt">;

/** The windows `events` must produce, folded once each, keyed by knowledge key. */
export function expectedWindows(events: readonly SequencedEvent[]): Map<string, Comparable> {
  const groups = new Map<string, SequencedEvent[]>();
  for (const item of events) {
    const address = windowOf(item.event, TEST_WINDOW_MS);
    if (address === undefined) continue;
    const key = `metrics.${address.agent}.${address.windowStart}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  const expected = new Map<string, Comparable>();
  for (const [key, group] of groups) {
    const first = group[0] as SequencedEvent;
    const address = windowOf(first.event, TEST_WINDOW_MS);
    if (address === undefined) continue;
    const window = foldEvents(emptyWindow(address, TEST_WINDOW_MS), group, "expected");
    if (window) expected.set(key, comparable(window));
  }
  return expected;
}

/** Every window in the bucket, without the bookkeeping fields. */
export async function storedWindows(
  nc: NatsConnection,
  bucket: string,
): Promise<Map<string, Comparable>> {
  const knowledge = await openKnowledge(nc, { bucket });
  const windows = new Map<string, Comparable>();
  for (const key of await knowledge.keys("metrics.>")) {
    const entry = await knowledge.get(key, MetricWindow);
    if (entry) windows.set(key, comparable(entry.value));
  }
  return windows;
}

function comparable(window: MetricWindow): Comparable {
  const { highWater: _h, updatedAt: _u, ...rest } = window;
  return rest;
}

/** The consumer's undelivered and unacked counts. */
export async function consumerBacklog(
  nc: NatsConnection,
  prefix: string,
): Promise<{ pending: number; ackPending: number }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.consumers.info(streamNames(prefix).telemetry, "monitor");
  return { pending: info.num_pending, ackPending: info.num_ack_pending };
}

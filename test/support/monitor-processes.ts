import type { NatsConnection } from "@nats-io/nats-core";
import type { SequencedEvent } from "@patinox/monitor";
import { expect } from "vitest";
import { eventually, type NodeProcess } from "./spawn-node.ts";
import { consumerBacklog, expectedWindows, storedWindows } from "./telemetry-fixture.ts";

/** A Monitor process started by a test. */
export type Monitor = NodeProcess & { healthPort: number };

/** Kills a Monitor with SIGKILL and waits until it is gone. */
export async function kill9(monitor: Monitor): Promise<void> {
  monitor.child.kill("SIGKILL");
  await monitor.exited;
}

/**
 * The replica that holds the intake lease now: the one whose last word on its role was
 * "leading" (a leader that lost the lease logs that it stands by).
 */
export async function currentLeader(replicas: readonly Monitor[]): Promise<Monitor> {
  const leads = (r: Monitor) => {
    const role = r.lines.findLast(
      (l) => l.includes('"msg":"telemetry intake leading"') || l.includes("standing by"),
    );
    return role?.includes('"msg":"telemetry intake leading"') === true;
  };
  let leader: Monitor | undefined;
  await eventually(() => {
    leader = replicas.find(leads);
    return leader !== undefined;
  }, 30_000);
  return leader as Monitor;
}

/**
 * Waits until the consumer has nothing left, then checks that the windows equal the ones the
 * published events make when each is folded once, and that every run is counted once.
 */
export async function expectExactly(
  nc: NatsConnection,
  prefix: string,
  published: readonly SequencedEvent[],
  timeoutMs = 15_000,
): Promise<void> {
  const expected = expectedWindows(published);
  await eventually(async () => {
    // Unanswered while a cluster elects the consumer's leader: not done yet, not a failure.
    const backlog = await consumerBacklog(nc, prefix).catch(() => undefined);
    return backlog?.pending === 0 && backlog.ackPending === 0;
  }, timeoutMs);
  const stored = await storedWindows(nc, `${prefix}-kb`);
  expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, window] of expected) expect(stored.get(key), key).toEqual(window);
  // An independent total, not computed by the fold: every run counted once.
  const runs = [...stored.values()].reduce((n, w) => n + w.runs, 0);
  expect(runs).toBe(published.filter((e) => e.event.type === "run.completed").length);
}

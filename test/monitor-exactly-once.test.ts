import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  createSubjects,
  DeadLetter,
  MetricWindow,
  parseMessage,
  streamNames,
  TelemetryEvent,
} from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { emptyWindow, foldEvents, type SequencedEvent, windowOf } from "@patinox/monitor";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentLeader, expectExactly, kill9, type Monitor } from "./support/monitor-processes.ts";
import { eventually, startServiceProcess } from "./support/spawn-node.ts";
import {
  consumerBacklog,
  monitorEnv,
  publishEvents,
  TEST_WINDOW_MS,
  telemetryEvents,
} from "./support/telemetry-fixture.ts";

let nats: NatsServer;
let nc: Awaited<ReturnType<typeof connect>>;

beforeAll(async () => {
  nats = await NatsServer.start();
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await nats?.[Symbol.asyncDispose]();
});

async function startMonitor(prefix: string, extra: Record<string, string> = {}): Promise<Monitor> {
  return await startServiceProcess("monitor", monitorEnv(nats.url, prefix, extra));
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Monitor exactly once (real processes, kill -9)", () => {
  it("windows equal the expected totals after Monitor is killed mid-batch again and again", async () => {
    const prefix = "eo1";
    let monitor = await startMonitor(prefix);
    const published: SequencedEvent[] = [];
    let killedMidStream = 0;
    for (const [round, delayMs] of [40, 120, 10, 200].entries()) {
      // More work each round, so every kill finds a backlog to interrupt.
      published.push(...(await publishEvents(nc, prefix, telemetryEvents(1_500, 100 + round))));
      await monitor.waitForLog("telemetry intake leading", 30_000);
      await pause(delayMs);
      const before = await consumerBacklog(nc, prefix);
      await kill9(monitor);
      if (before.pending + before.ackPending > 0) killedMidStream += 1;
      monitor = await startMonitor(prefix);
    }
    // The kills landed while work was left, so recovery (not a finished run) is what is proven.
    expect(killedMidStream).toBeGreaterThanOrEqual(2);
    await expectExactly(nc, prefix, published);
    await monitor[Symbol.asyncDispose]();
  });

  it("a batch partly written and never acked (the writer died) is counted once, none lost", async () => {
    const prefix = "eo2";
    // Monitor creates the stream and consumer, then is stopped so the test can play a leader
    // that dies between writing and acking.
    // An ack wait longer than a restart: the next Monitor is running (and handed newer events)
    // while the dead one's batch is still out.
    const env = { PATINOX_MONITOR_ACK_WAIT_MS: "5000" };
    const first = await startMonitor(prefix, env);
    await first[Symbol.asyncDispose]();
    const published = await publishEvents(nc, prefix, telemetryEvents(400, 22));

    const dying = await connect({ servers: nats.url });
    const js = jetstream(dying);
    const consumer = await js.consumers.get(streamNames(prefix).telemetry, "monitor");
    const held: SequencedEvent[] = [];
    // Fewer than a batch: the next Monitor is handed newer events while these are still out.
    for await (const msg of await consumer.fetch({ max_messages: 20, expires: 2_000 })) {
      const parsed = parseMessage(TelemetryEvent, msg.data);
      if (parsed.ok) held.push({ seq: msg.seq, event: parsed.value });
    }
    expect(held.length).toBe(20);
    const info = await (await jetstreamManager(nc)).streams.info(streamNames(prefix).telemetry);
    const source = `${info.config.name}@${Date.parse(info.created)}`;
    const knowledge = await openKnowledge(dying, { bucket: `${prefix}-kb` });
    const groups = new Map<string, SequencedEvent[]>();
    for (const item of held) {
      const a = windowOf(item.event, TEST_WINDOW_MS);
      if (a)
        groups.set(`${a.agent}|${a.windowStart}`, [
          ...(groups.get(`${a.agent}|${a.windowStart}`) ?? []),
          item,
        ]);
    }
    // It died after writing some of the batch's windows and before the others.
    const written = [...groups.values()].slice(0, Math.ceil(groups.size / 2));
    for (const group of written) {
      const address = windowOf((group[0] as SequencedEvent).event, TEST_WINDOW_MS);
      if (!address) continue;
      await knowledge.update(
        `metrics.${address.agent}.${address.windowStart}`,
        MetricWindow,
        (current): MetricWindow =>
          foldEvents(current ?? emptyWindow(address, TEST_WINDOW_MS), group, source) ??
          (current as MetricWindow),
      );
    }
    await dying.close(); // died: no ack, no nak

    await using monitor = await startMonitor(prefix, env);
    await expectExactly(nc, prefix, published);
    expect(monitor.child.exitCode).toBeNull();
  });

  it("two replicas: one folds, the other takes over when the leader is killed", async () => {
    const prefix = "eo3";
    const replicas: Monitor[] = [await startMonitor(prefix), await startMonitor(prefix)];
    const published = await publishEvents(nc, prefix, telemetryEvents(3_000, 33));
    for (let round = 0; round < 3; round++) {
      const leader = await currentLeader(replicas);
      await pause(300);
      await kill9(leader);
      replicas.splice(replicas.indexOf(leader), 1, await startMonitor(prefix));
    }
    await expectExactly(nc, prefix, published);
    await Promise.all(replicas.map((r) => r[Symbol.asyncDispose]()));
  });

  it("publisher retries with the same Nats-Msg-Id are counted once", async () => {
    const prefix = "eo4";
    await using monitor = await startMonitor(prefix);
    const events = telemetryEvents(600, 44);
    const published = await publishEvents(nc, prefix, events);
    // Every event again (a publisher that timed out and retried), some a third time.
    const retried = await publishEvents(nc, prefix, [...events, ...events.slice(0, 200)]);
    expect(retried).toHaveLength(0); // all dropped by the stream's duplicate window
    await expectExactly(nc, prefix, published);
    expect(monitor.child.exitCode).toBeNull();

    // /readyz reports the consumer: this instance leads, and nothing is left to fold.
    const ready = (await (await fetch(`http://127.0.0.1:${monitor.healthPort}/readyz`)).json()) as {
      checks: Array<{ name: string; ok: boolean; detail?: string }>;
    };
    expect(ready.checks.find((c) => c.name === "telemetry-consumer")).toMatchObject({
      ok: true,
      detail: "leader; pending 0, ack pending 0",
    });
  });

  it("malformed events are dead-lettered with the reason and the stream keeps flowing", async () => {
    const prefix = "eo5";
    await using monitor = await startMonitor(prefix);
    const subjects = createSubjects(prefix);
    const js = jetstream(nc);
    const good = telemetryEvents(200, 55);
    const bad = [
      "not json",
      "{}",
      '{"v":1,"type":"run.completed"}',
      JSON.stringify({ ...good[0], id: "bad-1", type: "no.such.type" }),
      new Uint8Array([0xff, 0xfe, 0x00]),
    ];
    const published: SequencedEvent[] = [];
    // Bad ones first and in between: nothing behind them may wait.
    for (const [i, payload] of bad.entries()) {
      await js.publish(subjects.telemetry("execute", "run.completed"), payload, {
        msgID: `bad-${i}`,
      });
      published.push(...(await publishEvents(nc, prefix, good.slice(i * 40, (i + 1) * 40))));
    }
    await expectExactly(nc, prefix, published).catch((e) => {
      console.log(monitor.lines.join("\n"));
      throw e;
    });

    const jsm = await jetstreamManager(nc);
    const letters: DeadLetter[] = [];
    await eventually(async () => {
      const info = await jsm.streams.info(streamNames(prefix).deadLetters);
      return info.state.messages === bad.length;
    });
    for (let seq = 1; seq <= bad.length; seq++) {
      const stored = await jsm.streams.getMessage(streamNames(prefix).deadLetters, { seq });
      letters.push(DeadLetter.parse(stored?.json()));
    }
    expect(letters.every((l) => l.service === "monitor" && l.code === "malformed_message")).toBe(
      true,
    );
    expect(letters.every((l) => l.reason.length > 0 && l.streamSeq !== undefined)).toBe(true);
    expect(monitor.child.exitCode).toBeNull();
  });
});

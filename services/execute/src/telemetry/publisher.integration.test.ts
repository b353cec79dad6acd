import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { createSubjects, type TelemetryEvent } from "@patinox/contracts";
import { createLogger } from "@patinox/runtime";
import { installationStreams } from "@patinox/streams";
import { NatsServer } from "@patinox/testkit";
import { describe, expect, it } from "vitest";
import { TelemetryPublisher } from "./publisher.ts";

/** A breaker event with its own id: the smallest event there is. */
function event(): TelemetryEvent {
  return {
    v: 1,
    id: randomUUID(),
    at: new Date().toISOString(),
    service: "execute",
    type: "breaker.state",
    provider: "simulated",
    model: "simulated-small",
    state: "open",
    previous: "closed",
  };
}

function testLogger(lines: string[]) {
  return createLogger({
    service: "execute",
    instanceId: "test",
    level: "info",
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    }),
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/** The telemetry stream of `prefix`, as Monitor would create it. */
async function createStream(nc: NatsConnection, prefix: string): Promise<string> {
  const { telemetry } = installationStreams({ prefix, replicas: 1, resultsMaxAgeMs: 60_000 });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ ...telemetry, max_bytes: -1 });
  return telemetry.name;
}

async function storedIds(nc: NatsConnection, stream: string): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const ids: string[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(stream, { seq });
    if (msg) ids.push(msg.header.get("Nats-Msg-Id"));
  }
  return ids;
}

describe("telemetry publisher", () => {
  it("sends an event again once its stream exists, and the stream holds it once", async () => {
    await using nats = await NatsServer.start();
    const nc = await connect({ servers: nats.url });
    try {
      const prefix = `t${randomUUID().slice(0, 8)}`;
      const logs: string[] = [];
      // Enough attempts that the stream is there before they run out, however slow the machine.
      const publisher = new TelemetryPublisher({
        nc,
        subjects: createSubjects(prefix),
        service: "execute",
        logger: testLogger(logs),
        attempts: 12,
      });
      const events = Array.from({ length: 5 }, event);
      for (const e of events) publisher.publish(e);
      // No stream yet: the server answers each send with "no responders", and each is sent again.
      await until(() => publisher.resent >= events.length, "the first retries");
      expect(publisher.pending).toBe(events.length);
      const stream = await createStream(nc, prefix);
      expect(await publisher.flush(10_000)).toBe(true);
      expect(publisher.dropped).toBe(0);
      expect((await storedIds(nc, stream)).sort()).toEqual(events.map((e) => e.id).sort());
      publisher.close();
    } finally {
      await nc.close();
    }
  });

  it("sends an unacknowledged event again with the same Nats-Msg-Id, stored once, then gives up", async () => {
    // The publisher may not receive on its inbox: every acknowledgement is lost on the way back.
    await using nats = await NatsServer.start({
      extraConfig: `authorization { users: [ { user: pub, password: pw, permissions: { subscribe: { deny: "lost.>" } } } ] }`,
      probe: { user: "pub", pass: "pw" },
    });
    const nc = await connect({ servers: nats.url, user: "pub", pass: "pw" });
    try {
      const prefix = `t${randomUUID().slice(0, 8)}`;
      const stream = await createStream(nc, prefix);
      const sends = new Map<string, number>();
      const watcher = nc.subscribe(`${prefix}.telemetry.>`, {
        callback: (_error, msg) => {
          const id = msg.headers?.get("Nats-Msg-Id") ?? "";
          sends.set(id, (sends.get(id) ?? 0) + 1);
        },
      });
      const logs: string[] = [];
      const publisher = new TelemetryPublisher({
        nc,
        subjects: createSubjects(prefix),
        service: "execute",
        logger: testLogger(logs),
        attempts: 3,
        ackTimeoutMs: 150,
        inboxPrefix: "lost",
      });
      const events = Array.from({ length: 4 }, event);
      for (const e of events) publisher.publish(e);
      await until(() => publisher.dropped === events.length, "the events to be given up on");
      expect(publisher.pending).toBe(0);
      // Three sends of each event reached NATS, and the stream kept one of each.
      for (const e of events) expect(sends.get(e.id)).toBe(3);
      expect((await storedIds(nc, stream)).sort()).toEqual(events.map((e) => e.id).sort());
      expect(logs.some((line) => line.includes("Permissions Violation for Subscription"))).toBe(
        true,
      );
      expect(logs.some((line) => line.includes("no acknowledgement within 150 ms"))).toBe(true);
      watcher.unsubscribe();
      publisher.close();
    } finally {
      await nc.close();
    }
  });

  it("keeps confirming events after the server restarts (the acknowledgement inbox survives)", async () => {
    await using nats = await NatsServer.start();
    const nc = await connect({
      servers: nats.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    try {
      const prefix = `t${randomUUID().slice(0, 8)}`;
      const stream = await createStream(nc, prefix);
      const publisher = new TelemetryPublisher({
        nc,
        subjects: createSubjects(prefix),
        service: "execute",
        logger: testLogger([]),
        ackTimeoutMs: 500,
        attempts: 10,
      });
      const before = Array.from({ length: 3 }, event);
      for (const e of before) publisher.publish(e);
      expect(await publisher.flush(5_000)).toBe(true);

      let reconnected = false;
      void (async () => {
        for await (const status of nc.status()) if (status.type === "reconnect") reconnected = true;
      })();
      await nats.restart();
      // Published while the client may still be reconnecting: buffered or sent again.
      const after = Array.from({ length: 3 }, event);
      for (const e of after) publisher.publish(e);
      expect(await publisher.flush(15_000)).toBe(true);
      expect(reconnected).toBe(true);

      expect(publisher.dropped).toBe(0);
      expect((await storedIds(nc, stream)).sort()).toEqual(
        [...before, ...after].map((e) => e.id).sort(),
      );
      publisher.close();
    } finally {
      await nc.close();
    }
  });

  it("drops and counts events past the limit of those waiting, without blocking", async () => {
    await using nats = await NatsServer.start();
    const nc = await connect({ servers: nats.url });
    try {
      const logs: string[] = [];
      const publisher = new TelemetryPublisher({
        nc,
        subjects: createSubjects(`t${randomUUID().slice(0, 8)}`),
        service: "execute",
        logger: testLogger(logs),
        maxPending: 2,
      });
      for (let i = 0; i < 5; i++) publisher.publish(event());
      expect(publisher.pending).toBe(2);
      expect(publisher.dropped).toBe(3);
      expect(logs.filter((line) => line.includes("telemetry event dropped"))).toHaveLength(1);
      expect(await publisher.flush(50)).toBe(false);
      // Closing gives up on the two still waiting (no stream ever answered them).
      publisher.close();
      expect(publisher.dropped).toBe(5);
      publisher.publish(event());
      expect(publisher.dropped).toBe(6);
    } finally {
      await nc.close();
    }
  });
});

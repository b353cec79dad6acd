import { jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { createDeadLetter, DeadLetter, PatinoxError, streamNames } from "@patinox/contracts";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetterSink, deadLetterMsgId } from "./dead-letters.ts";
import { ensureStream } from "./ensure-stream.ts";
import { installationStreams } from "./stream-configs.ts";

let server: NatsServer;
let nc: Awaited<ReturnType<typeof connect>>;

beforeAll(async () => {
  server = await NatsServer.start();
  nc = await connect({ servers: server.url });
});

afterAll(async () => {
  await nc?.close();
  await server?.[Symbol.asyncDispose]();
});

describe("installationStreams", () => {
  it("names every stream after the prefix and sets retention per stream", () => {
    const streams = installationStreams({
      prefix: "acme.prod",
      replicas: 3,
      telemetryMaxAgeMs: 3_600_000,
      telemetryMaxBytes: 5_000,
    });
    const names = streamNames("acme.prod");
    expect(streams.telemetry).toMatchObject({
      name: names.telemetry,
      subjects: ["acme.prod.telemetry.>"],
      retention: RetentionPolicy.Limits,
      max_age: nanos(3_600_000),
      max_bytes: 5_000,
      duplicate_window: nanos(120_000),
      num_replicas: 3,
    });
    expect(streams.jobs).toMatchObject({
      subjects: ["acme.prod.jobs.*"],
      retention: RetentionPolicy.Workqueue,
    });
    expect(streams.results).toMatchObject({
      subjects: ["acme.prod.results.>"],
      max_msgs_per_subject: 1,
    });
    expect(streams.events.subjects).toEqual(["acme.prod.events.>"]);
    expect(streams.deadLetters.subjects).toEqual(["acme.prod.deadletters.>"]);
  });

  it("keeps the duplicate window within a short max age", () => {
    const streams = installationStreams({ telemetryMaxAgeMs: 30_000 });
    expect(streams.telemetry.duplicate_window).toBe(nanos(30_000));
  });
});

describe("ensureStream (nats-server)", () => {
  it("creates, then leaves an equal stream alone, then updates only what differs", async () => {
    const jsm = await jetstreamManager(nc);
    const streams = installationStreams({ prefix: "t1", telemetryMaxBytes: 10_000_000 });
    const first = await ensureStream(jsm, streams.telemetry);
    expect(first.action).toBe("created");
    expect(first.info.config.max_bytes).toBe(10_000_000);

    const again = await ensureStream(jsm, streams.telemetry);
    expect(again.action).toBe("unchanged");

    const bigger = installationStreams({ prefix: "t1", telemetryMaxBytes: 20_000_000 });
    const updated = await ensureStream(jsm, bigger.telemetry);
    expect(updated.action).toBe("updated");
    expect((await jsm.streams.info(streams.telemetry.name)).config.max_bytes).toBe(20_000_000);
  });

  it("creates every stream of an installation, including the work queue", async () => {
    const jsm = await jetstreamManager(nc);
    const streams = installationStreams({ prefix: "t2" });
    for (const config of Object.values(streams)) {
      expect((await ensureStream(jsm, config)).action).toBe("created");
    }
    const jobs = await jsm.streams.info(streams.jobs.name);
    expect(jobs.config.retention).toBe(RetentionPolicy.Workqueue);
  });

  it("two processes racing at start end with one stream holding the last configuration", async () => {
    // Separate connections, as two services would have.
    const other = await connect({ servers: server.url });
    try {
      const [jsmA, jsmB] = await Promise.all([jetstreamManager(nc), jetstreamManager(other)]);
      const a = installationStreams({ prefix: "t3", telemetryMaxBytes: 1_000_000 }).telemetry;
      const b = installationStreams({ prefix: "t3", telemetryMaxBytes: 2_000_000 }).telemetry;
      const results = await Promise.all([ensureStream(jsmA, a), ensureStream(jsmB, b)]);
      const actions = results.map((r) => r.action).sort();
      // One created it; the other either updated it or (if it ran second) created an equal one.
      expect(actions).toContain("created");
      const info = await jsmA.streams.info(a.name);
      expect([1_000_000, 2_000_000]).toContain(info.config.max_bytes);
      // A second round converges: whichever config runs last is what the stream holds.
      await ensureStream(jsmA, a);
      expect((await jsmA.streams.info(a.name)).config.max_bytes).toBe(1_000_000);
    } finally {
      await other.close();
    }
  });

  it("many racers with the same configuration all succeed", async () => {
    const config = installationStreams({ prefix: "t4" }).events;
    const connections = await Promise.all(
      Array.from({ length: 5 }, () => connect({ servers: server.url })),
    );
    try {
      const results = await Promise.all(
        connections.map(async (c) => ensureStream(await jetstreamManager(c), config)),
      );
      expect(results.every((r) => r.info.config.name === config.name)).toBe(true);
    } finally {
      await Promise.all(connections.map((c) => c.close()));
    }
  });

  it("refuses to change retention in place with config_invalid", async () => {
    const jsm = await jetstreamManager(nc);
    const streams = installationStreams({ prefix: "t5" });
    await ensureStream(jsm, streams.events);
    const error = await ensureStream(jsm, {
      ...streams.events,
      retention: RetentionPolicy.Workqueue,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PatinoxError);
    expect((error as PatinoxError).code).toBe("config_invalid");
  });
});

describe("DeadLetterSink (nats-server)", () => {
  it("creates the dead-letter stream and stores a letter once even when reported twice", async () => {
    const sink = await DeadLetterSink.open(nc, { prefix: "t6" });
    const letter = createDeadLetter({
      service: "monitor",
      subject: "t6.telemetry.execute.run.completed",
      payload: new TextEncoder().encode("{not json"),
      error: new PatinoxError("malformed_message", "not JSON"),
      receivedAt: new Date("2026-01-01T00:00:00Z"),
      stream: "t6_telemetry",
      streamSeq: 42,
      consumer: "monitor",
    });
    const first = await sink.publish(letter);
    const second = await sink.publish({ ...letter, receivedAt: "2026-01-01T00:00:05Z" });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);

    const jsm = await jetstreamManager(nc);
    const name = streamNames("t6").deadLetters;
    const info = await jsm.streams.info(name);
    expect(info.state.messages).toBe(1);
    const stored = await jsm.streams.getMessage(name, { last_by_subj: "t6.deadletters.monitor" });
    expect(DeadLetter.parse(stored?.json())).toMatchObject({
      streamSeq: 42,
      code: "malformed_message",
    });
    expect(stored?.header.get("Nats-Msg-Id")).toBe(deadLetterMsgId(letter));
  });

  it("gives different messages different ids", () => {
    const base = {
      service: "monitor",
      subject: "s",
      payload: new Uint8Array([1]),
      error: new PatinoxError("malformed_message", "bad"),
      receivedAt: new Date(),
      stream: "x",
    };
    const a = deadLetterMsgId(createDeadLetter({ ...base, streamSeq: 1 }));
    const b = deadLetterMsgId(createDeadLetter({ ...base, streamSeq: 2 }));
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[\x21-\x7e]{1,128}$/);
  });
});

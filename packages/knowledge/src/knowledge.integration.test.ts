import { connect } from "@nats-io/transport-node";
import { PatinoxError } from "@patinox/contracts";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Knowledge, openKnowledge, Unchanged } from "./knowledge.ts";

const Counter = z.object({ v: z.literal(1), count: z.number().int().nonnegative() });
type Counter = z.output<typeof Counter>;
const increment = (current: Counter | undefined): Counter => ({
  v: 1,
  count: (current?.count ?? 0) + 1,
});

let server: NatsServer;
let nc: Awaited<ReturnType<typeof connect>>;
let knowledge: Knowledge;

beforeAll(async () => {
  server = await NatsServer.start();
  nc = await connect({ servers: server.url });
  knowledge = await openKnowledge(nc, { bucket: "test-knowledge" });
});

afterAll(async () => {
  await nc?.close();
  await server?.[Symbol.asyncDispose]();
});

describe("Knowledge", () => {
  it("creates the bucket with file storage and at least 10 revisions of history", async () => {
    const status = await knowledge.status();
    expect(status.history).toBeGreaterThanOrEqual(10);
    expect(status.storage).toBe("file");
    // Opening again is idempotent.
    await expect(openKnowledge(nc, { bucket: "test-knowledge" })).resolves.toBeDefined();
  });

  it("50 concurrent compare-and-set increments on one key end at exactly 50", async () => {
    const key = "counters.concurrent";
    await Promise.all(Array.from({ length: 50 }, () => knowledge.update(key, Counter, increment)));
    expect((await knowledge.get(key, Counter))?.value.count).toBe(50);
  });

  it("concurrent increments from separate connections also end exact", async () => {
    const key = "counters.two-clients";
    const other = await connect({ servers: server.url });
    const second = await openKnowledge(other, { bucket: "test-knowledge" });
    const bump = (k: Knowledge) => k.update(key, Counter, increment);
    await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 ? knowledge : second)));
    expect((await knowledge.get(key, Counter))?.value.count).toBe(20);
    await other.close();
  });

  it("update returning Unchanged writes nothing", async () => {
    const key = "counters.unchanged";
    const first = await knowledge.update(key, Counter, increment);
    const again = await knowledge.update(key, Counter, () => Unchanged);
    expect(again?.revision).toBe(first?.revision);
  });

  it("create fails with conflict when the key exists", async () => {
    await knowledge.create("counters.once", Counter, { v: 1, count: 1 });
    const error = await knowledge
      .create("counters.once", Counter, { v: 1, count: 2 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PatinoxError);
    expect(error.code).toBe("conflict");
  });

  it("a record that fails its schema on read is a typed error, not a crash", async () => {
    const raw = await connect({ servers: server.url });
    const { Kvm } = await import("@nats-io/kv");
    const kv = await new Kvm(raw).open("test-knowledge");
    await kv.put("counters.corrupt", "{not json");
    await kv.put("counters.wrong-shape", JSON.stringify({ v: 1, count: -3 }));
    await raw.close();
    for (const key of ["counters.corrupt", "counters.wrong-shape"]) {
      const error = await knowledge.get(key, Counter).catch((e) => e);
      expect(error).toBeInstanceOf(PatinoxError);
      expect(error.code).toBe("record_invalid");
    }
  });

  it("refuses to write a record its schema rejects", async () => {
    const error = await knowledge.put("counters.bad", Counter, { v: 1, count: -1 }).catch((e) => e);
    expect(error.code).toBe("record_invalid");
    expect(await knowledge.get("counters.bad", Counter)).toBeUndefined();
  });

  it("watch yields typed changes, deletes and invalid records in order", async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const change of knowledge.watch("watched.>", Counter, {
        signal: controller.signal,
      })) {
        seen.push(change.kind === "put" ? `put:${change.value.count}` : change.kind);
        if (seen.length === 3) controller.abort();
      }
    })();
    await knowledge.put("watched.a", Counter, { v: 1, count: 7 });
    const raw = await connect({ servers: server.url });
    const { Kvm } = await import("@nats-io/kv");
    await (await new Kvm(raw).open("test-knowledge")).put("watched.b", "[]");
    await raw.close();
    await knowledge.delete("watched.a");
    await watching;
    expect(seen).toEqual(["put:7", "invalid", "delete"]);
  });

  it("history lists every kept revision of a key", async () => {
    for (let i = 1; i <= 3; i++) await knowledge.put("audited.key", Counter, { v: 1, count: i });
    const history = await knowledge.history("audited.key", Counter);
    expect(history.map((c) => (c.kind === "put" ? c.value.count : c.kind))).toEqual([1, 2, 3]);
  });

  it("keeps records across a server restart on the same store", async () => {
    await knowledge.put("durable.key", Counter, { v: 1, count: 42 });
    await server.stop();
    await server.restart();
    const fresh = await connect({ servers: server.url });
    const reopened = await openKnowledge(fresh, { bucket: "test-knowledge", create: false });
    expect((await reopened.get("durable.key", Counter))?.value.count).toBe(42);
    await fresh.close();
  });
});

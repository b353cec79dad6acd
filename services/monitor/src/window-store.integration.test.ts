import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { KnowledgeKeys, MetricWindow, type TelemetryEvent } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyWindow, foldEvents, type SequencedEvent } from "./window-fold.ts";
import { WindowStore } from "./window-store.ts";

const START = 1_767_225_600_000;
const ADDRESS = { agent: "support", windowStart: START };
const run = (seq: number): SequencedEvent => ({
  seq,
  event: {
    v: 1,
    id: `e${seq}`,
    at: new Date(START + seq).toISOString(),
    service: "execute",
    type: "run.completed",
    agent: "support",
    runId: `r${seq}`,
    agentVersion: 1,
    status: "completed",
    latencyMs: 100 + seq,
    inputTokens: 1,
    outputTokens: 1,
    costUsd: 0,
    steps: 1,
  } as TelemetryEvent,
});

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

describe("WindowStore (nats-server)", () => {
  it("counts each event once across remembered writes, redeliveries and a foreign write", async () => {
    const knowledge = await openKnowledge(nc, { bucket: "ws" });
    const kv = await new Kvm(nc).open("ws");
    const store = new WindowStore({ kv, knowledge, windowMs: 60_000, source: "s@1" });
    const key = KnowledgeKeys.metricsWindow(ADDRESS.agent, ADDRESS.windowStart);

    expect((await store.write({ address: ADDRESS, events: [run(1), run(2)] })).folded).toBe(2);
    // Remembered: written without a read; a redelivered event is skipped.
    expect((await store.write({ address: ADDRESS, events: [run(2), run(3)] })).folded).toBe(1);

    // Someone else (a previous leader that was still running) writes events 4 and 5.
    await knowledge.update(
      key,
      MetricWindow,
      (current): MetricWindow =>
        foldEvents(
          current ?? emptyWindow(ADDRESS, 60_000),
          [run(4), run(5)],
          "s@1",
        ) as MetricWindow,
    );
    // The remembered revision is stale: the store reads the window back and folds onto it.
    expect((await store.write({ address: ADDRESS, events: [run(5), run(6)] })).folded).toBe(1);

    const stored = await knowledge.get(key, MetricWindow);
    expect(stored?.value.runs).toBe(6);
    expect(stored?.value.highWater).toEqual({ "s@1": 6 });
    expect(stored?.value.latency.count).toBe(6);
  });
});

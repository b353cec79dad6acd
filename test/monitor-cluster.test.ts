import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { streamNames } from "@patinox/contracts";
import type { SequencedEvent } from "@patinox/monitor";
import { NatsCluster } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentLeader, expectExactly, kill9, type Monitor } from "./support/monitor-processes.ts";
import { eventually, startServiceProcess } from "./support/spawn-node.ts";
import {
  consumerBacklog,
  monitorEnv,
  publishEvents,
  telemetryEvents,
} from "./support/telemetry-fixture.ts";

let cluster: NatsCluster;
let nc: Awaited<ReturnType<typeof connect>>;

beforeAll(async () => {
  cluster = await NatsCluster.start();
  nc = await connect({ servers: cluster.urls });
}, 60_000);
afterAll(async () => {
  await nc?.close();
  await cluster?.[Symbol.asyncDispose]();
});

async function startMonitor(prefix: string): Promise<Monitor> {
  return await startServiceProcess(
    "monitor",
    monitorEnv(cluster.url, prefix, {
      // As on a production cluster: the telemetry stream, its consumer and the knowledge
      // bucket replicated on three servers.
      PATINOX_STREAM_REPLICAS: "3",
      PATINOX_BUCKET_REPLICAS: "3",
    }),
  );
}

describe("Monitor exactly once on a three-node cluster (replicated stream, consumer, bucket)", () => {
  it("counts every event once while Monitor replicas and a NATS server are killed with -9", async () => {
    const prefix = "eoc";
    const replicas: Monitor[] = [await startMonitor(prefix), await startMonitor(prefix)];
    const jsm = await jetstreamManager(nc);
    const stream = await jsm.streams.info(streamNames(prefix).telemetry);
    expect(stream.config.num_replicas).toBe(3);
    const consumer = await jsm.consumers.info(streamNames(prefix).telemetry, "monitor");
    // A durable consumer of an R3 stream is replicated with it (num_replicas 0 = the stream's).
    expect(consumer.cluster?.replicas?.length).toBe(2);

    const published: SequencedEvent[] = [];
    let killedMidStream = 0;
    for (let round = 0; round < 3; round++) {
      published.push(...(await publishEvents(nc, prefix, telemetryEvents(3_000, 60 + round))));
      const leader = await currentLeader(replicas);
      let before = { pending: 0, ackPending: 0 };
      await eventually(async () => {
        // Unanswered while the cluster elects the consumer's leader after the restart.
        const backlog = await consumerBacklog(nc, prefix).catch(() => undefined);
        if (backlog !== undefined) before = backlog;
        return backlog !== undefined;
      }, 30_000);
      if (before.pending + before.ackPending > 0) killedMidStream += 1;
      if (round === 1) {
        // The server leading Monitor's consumer goes down mid-stream, so the consumer's
        // leadership (its delivery and ack state) moves to another server; it comes back
        // while Monitor keeps folding.
        const info = await jsm.consumers.info(streamNames(prefix).telemetry, "monitor");
        const node = Number(info.cluster?.leader?.replace(/^n/, "")) - 1; // servers n1..n3
        expect(node).toBeGreaterThanOrEqual(0);
        await cluster.killNode(node);
        await eventually(async () => {
          const moved = await jsm.consumers
            .info(streamNames(prefix).telemetry, "monitor")
            .catch(() => undefined);
          return (
            moved?.cluster?.leader !== undefined && moved.cluster.leader !== info.cluster?.leader
          );
        }, 30_000);
        await cluster.restartNode(node);
        // The test publishes next without retrying: wait until the stream has a leader again.
        await eventually(async () => {
          const info = await jsm.streams.info(streamNames(prefix).telemetry).catch(() => undefined);
          return info?.cluster?.leader !== undefined;
        }, 30_000);
      } else {
        await kill9(leader);
        replicas.splice(replicas.indexOf(leader), 1, await startMonitor(prefix));
      }
    }
    // The kills landed while work was left, so recovery (not a finished run) is what is proven.
    expect(killedMidStream).toBeGreaterThanOrEqual(2);
    await expectExactly(nc, prefix, published, 60_000);
    await Promise.all(replicas.map((r) => r[Symbol.asyncDispose]()));
  }, 180_000);
});

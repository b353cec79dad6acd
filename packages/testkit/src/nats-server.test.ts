import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { NatsCluster } from "./nats-cluster.ts";
import { NatsServer } from "./nats-server.ts";

describe("NatsServer", () => {
  it("starts a JetStream server on its own ephemeral port, never 4222", async () => {
    await using server = await NatsServer.start();
    expect(server.port).not.toBe(4222);
    const nc = await connect({ servers: server.url });
    const info = await (await jetstreamManager(nc)).getAccountInfo();
    expect(info.streams).toBe(0);
    await nc.close();
  });

  it("keeps JetStream data across a restart on the same store", async () => {
    await using server = await NatsServer.start();
    let nc = await connect({ servers: server.url });
    await (await jetstreamManager(nc)).streams.add({ name: "KEEP", subjects: ["keep.>"] });
    await nc.close();
    await server.kill();
    expect(server.running).toBe(false);
    await server.restart();
    nc = await connect({ servers: server.url });
    const names = await (await jetstreamManager(nc)).streams.names().next();
    expect(names).toContain("KEEP");
    await nc.close();
  });

  it("deletes its store on dispose", async () => {
    const { existsSync } = await import("node:fs");
    let dir: string;
    {
      await using server = await NatsServer.start();
      dir = server.storeDir;
      expect(existsSync(dir)).toBe(true);
    }
    expect(existsSync(dir)).toBe(false);
  });

  it("reports a clear error when the executable is missing", async () => {
    await expect(NatsServer.start({ bin: "/nonexistent/nats-server" })).rejects.toThrow(/ENOENT/);
  });
});

describe("NatsCluster", () => {
  it("forms a three-node JetStream cluster that survives losing one node", async () => {
    await using cluster = await NatsCluster.start();
    const nc = await connect({ servers: cluster.urls });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "R3", subjects: ["r3.>"], num_replicas: 3 });
    await cluster.killNode(0);
    // A replicated stream keeps answering with two of three nodes, once the client has
    // reconnected and (if the killed node led) a new leader is elected.
    const deadline = Date.now() + 20_000;
    let replicas: number | undefined;
    while (replicas === undefined && Date.now() < deadline) {
      try {
        replicas = (await jsm.streams.info("R3")).config.num_replicas;
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    expect(replicas).toBe(3);
    await nc.close();
  }, 60_000);
});

import { Kvm } from "@nats-io/kv";
import { Svcm } from "@nats-io/services";
import { connect } from "@nats-io/transport-node";
import { ErrorReply, StatusReply } from "@patinox/contracts";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, healthStatus, startServiceProcess } from "./support/spawn-node.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let nats: NatsServer;

beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

describe("each service", () => {
  it.each(["execute", "monitor", "analyze", "plan"])(
    "%s boots, registers with $SRV, answers health and status, and stops cleanly",
    async (name) => {
      await using service = await startServiceProcess(name, { NATS_URL: nats.url });
      expect(await healthStatus(service.healthPort, "/healthz")).toBe(200);
      await eventually(async () => (await healthStatus(service.healthPort, "/readyz")) === 200);

      const nc = await connect({ servers: nats.url });
      const client = new Svcm(nc).client({ strategy: "timer", maxWait: 1_000 });
      const pings = [];
      for await (const ping of await client.ping(name)) pings.push(ping);
      expect(pings).toHaveLength(1);
      expect(pings[0]?.version).toBe("0.1.0");

      const infos = [];
      for await (const info of await client.info(name)) infos.push(info);
      expect(infos[0]?.metadata?.instance).toBeTruthy();
      expect(infos[0]?.endpoints.map((e) => e.name)).toContain("status");

      const statusReply = await nc.request(`patinox.svc.${name}.status`, encoder.encode('{"v":1}'));
      const status = StatusReply.parse(JSON.parse(decoder.decode(statusReply.data)));
      expect(status.service).toBe(name);
      expect(status.ready).toBe(true);
      expect(status.actors.state).toBe("running");

      service.child.kill("SIGTERM");
      expect((await service.exited).code).toBe(0);
      await nc.close();
    },
  );
});

describe("bad input", () => {
  it("a malformed message gets a structured error reply and the service keeps serving", async () => {
    await using execute = await startServiceProcess("execute", { NATS_URL: nats.url });
    const nc = await connect({ servers: nats.url });
    const malformed: Array<string | Uint8Array> = [
      "",
      "not json",
      "{}",
      '{"v":1}',
      '{"v":2,"input":"hi"}',
      '{"v":1,"input":"hi","unknownField":true}',
      "[1,2,3]",
      new Uint8Array([0xff, 0xfe, 0x00, 0x80]),
    ];
    for (const input of malformed) {
      const reply = await nc.request("patinox.agents.support.run", input, { timeout: 5_000 });
      const body = ErrorReply.parse(JSON.parse(decoder.decode(reply.data)));
      expect(body.error).toMatchObject({
        code: "malformed_message",
        recovery: "fail",
        retryable: false,
      });
      expect(reply.headers?.get("Nats-Service-Error-Code")).toBe("400");
    }
    // A `__proto__` key is an unknown field of a strict request: refused, never merged into
    // a prototype.
    const proto = await nc.request(
      "patinox.agents.support.run",
      '{"v":1,"input":"x","__proto__":{"polluted":true}}',
      { timeout: 5_000 },
    );
    const protoError = ErrorReply.parse(JSON.parse(decoder.decode(proto.data))).error;
    expect(protoError.code).toBe("malformed_message");
    expect(protoError.details?.issues).toEqual([{ path: "/__proto__", message: "unknown field" }]);
    // Still serving: a well-formed request for an agent nobody defined is told so.
    const reply = await nc.request(
      "patinox.agents.nobody.run",
      encoder.encode(JSON.stringify({ v: 1, input: "hello" })),
    );
    const body = ErrorReply.parse(JSON.parse(decoder.decode(reply.data)));
    expect(body.error.code).toBe("unknown_agent");
    expect(body.error.message).toContain("nobody");
    expect(execute.child.exitCode).toBeNull();
    await nc.close();
  });

  it("a message too large for the endpoint gets payload_too_large", async () => {
    // Operators raise max_payload; the endpoint's own 1 MiB limit must still hold.
    await using roomy = await NatsServer.start({ extraConfig: "max_payload: 8MB" });
    await using execute = await startServiceProcess("execute", { NATS_URL: roomy.url });
    const nc = await connect({ servers: roomy.url });
    const big = JSON.stringify({
      v: 1,
      input: "x".repeat(900_000),
      metadata: { pad: "y".repeat(200_000) },
    });
    const reply = await nc.request("patinox.agents.any.run", encoder.encode(big), {
      timeout: 5_000,
    });
    expect(ErrorReply.parse(JSON.parse(decoder.decode(reply.data))).error.code).toBe(
      "payload_too_large",
    );
    expect(execute.child.exitCode).toBeNull();
    await nc.close();
  });
});

describe("a NATS restart", () => {
  it("is survived: /readyz goes 503 then 200 and knowledge written before is still there", async () => {
    await using server = await NatsServer.start();
    await using monitor = await startServiceProcess("monitor", { NATS_URL: server.url });
    await eventually(async () => (await healthStatus(monitor.healthPort, "/readyz")) === 200);

    let nc = await connect({ servers: server.url });
    const kv = await new Kvm(nc).open("patinox");
    await kv.put("probe.before-restart", JSON.stringify({ kept: true }));
    await nc.close();

    await server.stop();
    await eventually(async () => (await healthStatus(monitor.healthPort, "/readyz")) === 503);
    expect(await healthStatus(monitor.healthPort, "/healthz")).toBe(200);
    await server.restart();
    await eventually(
      async () => (await healthStatus(monitor.healthPort, "/readyz")) === 200,
      30_000,
    );
    await monitor.waitForLine((line) => line.includes('"status":"reconnect"'));

    nc = await connect({ servers: server.url });
    const entry = await (await new Kvm(nc).open("patinox")).get("probe.before-restart");
    expect(entry?.json()).toEqual({ kept: true });
    await nc.close();
  });
});

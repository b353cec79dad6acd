import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, NodeProcess, ROOT, startServiceProcess } from "./support/spawn-node.ts";

const PROBE = join(ROOT, "test", "fixtures", "probe-service.ts");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

async function startProbe(): Promise<NodeProcess> {
  const probe = new NodeProcess(PROBE, {
    NATS_URL: nats.url,
    PATINOX_HEALTH_PORT: "0",
    PATINOX_HEALTH_HOST: "127.0.0.1",
    PATINOX_SHUTDOWN_DEADLINE_MS: "10000",
  });
  await probe.waitForLog("probe started");
  return probe;
}

describe("a service process", () => {
  it("exits 78 naming the variable when configuration is bad", async () => {
    await using service = new NodeProcess(join(ROOT, "services", "execute", "src", "main.ts"), {
      NATS_URL: nats.url,
      PATINOX_HEALTH_PORT: "eighty",
      PATINOX_PREFIX: "bad prefix!",
    });
    const { code } = await service.exited;
    expect(code).toBe(78);
    const output = service.lines.join("\n");
    expect(output).toMatch(/PATINOX_HEALTH_PORT: expected a whole number from 0 to 65535/);
    expect(output).toMatch(/PATINOX_PREFIX: expected dot-separated tokens/);
    expect(output).not.toContain("    at "); // no stack trace
  });

  it("exits 78 when NATS refuses its credentials", async () => {
    await using secured = await NatsServer.start({
      waitForJetStream: false,
      extraConfig: [
        "authorization { users: [",
        "  { user: execute, password: right }",
        '  { user: anonymous, password: unused, permissions: { publish: { deny: ">" }, subscribe: { deny: ">" } } }',
        "] }",
        "no_auth_user: anonymous",
      ].join("\n"),
    });
    await using service = new NodeProcess(join(ROOT, "services", "execute", "src", "main.ts"), {
      NATS_URL: secured.url,
      NATS_USER: "execute",
      NATS_PASSWORD: "wrong-password-canary",
      PATINOX_HEALTH_PORT: "0",
    });
    expect((await service.exited).code).toBe(78);
    const output = service.lines.join("\n");
    expect(output).toContain("NATS refused the credentials");
    expect(output).not.toContain("wrong-password-canary");
  });

  it("treats a blank variable as unset", async () => {
    await using service = await startServiceProcess("monitor", {
      NATS_URL: nats.url,
      PATINOX_BUCKET: "  ",
    });
    const started = await service.waitForLog("monitor started");
    expect(started.bucket).toBe("patinox");
  });

  it("finishes a request in flight on SIGTERM, then exits 0", async () => {
    await using probe = await startProbe();
    const nc = await connect({ servers: nats.url });
    const reply = nc.request("probe.slow", encoder.encode(JSON.stringify({ v: 1, ms: 1_500 })), {
      timeout: 10_000,
    });
    // The request is in the service's hands before the signal arrives.
    await probe.waitForLog("slow request received");
    probe.child.kill("SIGTERM");
    const answer = JSON.parse(decoder.decode((await reply).data));
    expect(answer).toEqual({ v: 1, sleptMs: 1_500 });
    expect((await probe.exited).code).toBe(0);
    await nc.close();
  });

  it("exits at once on a second signal", async () => {
    await using probe = await startProbe();
    const nc = await connect({ servers: nats.url });
    const pending = nc
      .request("probe.slow", encoder.encode(JSON.stringify({ v: 1, ms: 20_000 })), {
        timeout: 30_000,
      })
      .catch(() => undefined);
    await probe.waitForLog("slow request received");
    probe.child.kill("SIGTERM");
    await probe.waitForLog(/shutting down/);
    const before = Date.now();
    probe.child.kill("SIGTERM");
    expect((await probe.exited).code).toBe(130);
    expect(Date.now() - before).toBeLessThan(5_000);
    await nc.close();
    await pending;
  });

  it("shuts down in bounded time even when NATS is gone", async () => {
    await using server = await NatsServer.start();
    await using monitor = await startServiceProcess("monitor", { NATS_URL: server.url });
    await server.stop();
    await monitor.waitForLine((line) => line.includes('"status":"disconnect"'));
    const before = Date.now();
    monitor.child.kill("SIGTERM");
    expect((await monitor.exited).code).toBe(0);
    // Unsubscribe (2 s) and drain (5 s) are bounded; nothing waits for a reconnect.
    // Bounded by the 2 s unsubscribe and 5 s drain limits, well inside the 30 s watchdog.
    expect(Date.now() - before).toBeLessThan(20_000);
  });

  it("restarts a crashing actor, and exits 70 when the root supervisor gives up", async () => {
    await using probe = await startProbe();
    const nc = await connect({ servers: nats.url });
    const crash = async () => {
      const reply = await nc.request("probe.crash", encoder.encode('{"v":1}'), { timeout: 5_000 });
      return JSON.parse(decoder.decode(reply.data));
    };
    // The fixture allows two restarts: the first two crashes are restarted, the third gives up.
    expect(await crash()).toEqual({ v: 1, crashed: true });
    const failed = await probe.waitForLog("supervisor: child-failed");
    expect(failed.supervisor).toMatchObject({
      child: "probe/crasher",
      error: "Error: crash requested",
    });
    expect(await crash()).toEqual({ v: 1, crashed: true });
    const started = () => probe.lines.filter((l) => l.includes("supervisor: child-started")).length;
    await eventually(() => started() === 3);
    await crash().catch(() => undefined);
    const { code } = await probe.exited;
    expect(code).toBe(70);
    expect(probe.lines.join("\n")).toMatch(/root supervisor gave up/);
    await nc.close();
  });
});

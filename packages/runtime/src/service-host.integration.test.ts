import { setTimeout as delay } from "node:timers/promises";
import { errors, type NatsConnection, TimeoutError } from "@nats-io/nats-core";
import { StatusReply } from "@patinox/contracts";
import { freePort, NatsCluster, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "./config.ts";
import type { ServiceDefinition } from "./service-definition.ts";
import { startService } from "./service-host.ts";
import { testConnection } from "./test-support/connection.ts";
import { deferred } from "./test-support/deferred.ts";
import { eventually } from "./test-support/eventually.ts";
import { hostEnvironment, hostService } from "./test-support/hosted-service.ts";
import { askHealth, healthStatus } from "./test-support/http.ts";
import { MemoryLog } from "./test-support/memory-log.ts";

const Ping = z.object({ v: z.literal(1) });

/** A service with one endpoint whose handler the test controls. */
function probeService(
  handle: (signal: AbortSignal) => Promise<unknown>,
  more: Partial<ServiceDefinition> = {},
): ServiceDefinition {
  return {
    name: "probe",
    version: "1.2.3",
    description: "the service host under test",
    start(context) {
      context.addEndpoint({
        name: "work",
        subject: "probe.work",
        request: Ping,
        description: "does what the test asks",
        handle: (_request, { signal }) => handle(signal),
      });
    },
    ...more,
  };
}

const answerAtOnce = probeService(async () => ({ v: 1, done: true }));

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

async function work(nc: NatsConnection, timeout = 5_000): Promise<unknown> {
  return (await nc.request("probe.work", '{"v":1}', { timeout })).json();
}

describe("a started service", () => {
  it("registers with $SRV: INFO lists its endpoints, with its instance id in the metadata", async () => {
    await using service = await hostService(answerAtOnce, nats.url, {
      PATINOX_INSTANCE_ID: "probe-7",
    });
    await using nc = await testConnection(nats.url);

    const info = (await nc.request("$SRV.INFO.probe", "", { timeout: 2_000 })).json<{
      name: string;
      version: string;
      metadata: Record<string, string>;
      endpoints: Array<{ name: string; subject: string; queue_group: string }>;
    }>();

    expect(service.instanceId).toBe("probe-7");
    expect(info).toMatchObject({
      name: "probe",
      version: "1.2.3",
      metadata: { instance: "probe-7", prefix: "patinox", bucket: "patinox" },
    });
    expect(info.endpoints).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "status", subject: "patinox.svc.probe.status" }),
        expect.objectContaining({ name: "work", subject: "probe.work", queue_group: "probe" }),
      ]),
    );
  });

  it("answers its status endpoint with a StatusReply listing every readiness check", async () => {
    await using service = await hostService(
      { ...answerAtOnce, start: (context) => context.addReadinessCheck(upstream(true)) },
      nats.url,
    );
    await using nc = await testConnection(nats.url);

    const reply = await nc.request("patinox.svc.probe.status", '{"v":1}', { timeout: 3_000 });
    const status = StatusReply.parse(reply.json());

    expect(status).toMatchObject({
      service: "probe",
      instanceId: service.instanceId,
      version: "1.2.3",
      ready: true,
      bucket: "patinox",
      actors: { name: "probe", kind: "supervisor", state: "running" },
    });
    expect(status.checks?.map((c) => c.name)).toEqual([
      "accepting",
      "nats",
      "jetstream",
      "knowledge",
      "actors",
      "upstream",
    ]);
    expect((await askHealth(service.healthPort, "/readyz")).status).toBe(200);
  });

  it("answers status from every instance (no queue group), while work endpoints share one", async () => {
    await using first = await hostService(answerAtOnce, nats.url);
    await using second = await hostService(answerAtOnce, nats.url);
    await using nc = await testConnection(nats.url);

    const replies = await nc.requestMany("patinox.svc.probe.status", '{"v":1}', {
      strategy: "timer",
      maxWait: 1_000,
    });
    const instances: string[] = [];
    for await (const reply of replies) instances.push(StatusReply.parse(reply.json()).instanceId);
    expect(instances.sort()).toEqual([first.instanceId, second.instanceId].sort());

    const work = await nc.requestMany("probe.work", '{"v":1}', {
      strategy: "timer",
      maxWait: 1_000,
    });
    let answers = 0;
    for await (const _ of work) answers++;
    expect(answers).toBe(1);
  });

  it("never logs credentials given in NATS_URL", async () => {
    const withUser = nats.url.replace("nats://", "nats://alice:url-password-canary@");
    await using service = await hostService(answerAtOnce, withUser);
    expect(service.log.text).toContain(nats.url.replace("nats://", ""));
    expect(service.log.text).not.toContain("url-password-canary");
  });

  it("is not ready while a check the service added fails, and says which", async () => {
    await using service = await hostService(
      { ...answerAtOnce, start: (context) => context.addReadinessCheck(upstream(false)) },
      nats.url,
    );
    await using nc = await testConnection(nats.url);

    const readyz = await askHealth(service.healthPort, "/readyz");
    const status = StatusReply.parse(
      (await nc.request("patinox.svc.probe.status", '{"v":1}', { timeout: 3_000 })).json(),
    );

    expect(readyz.status).toBe(503);
    expect(readyz.body).toMatchObject({
      status: "not ready",
      checks: expect.arrayContaining([{ name: "upstream", ok: false, detail: "upstream down" }]),
    });
    expect(status.ready).toBe(false);
    expect(status.checks?.filter((c) => !c.ok).map((c) => c.name)).toEqual(["upstream"]);
  });
});

describe("shutdown", () => {
  it("waits for a request in flight: its reply arrives before shutdown resolves", async () => {
    const started = deferred();
    await using service = await hostService(
      probeService(async () => {
        started.resolve();
        await delay(500);
        return { v: 1, slept: 500 };
      }),
      nats.url,
    );
    await using nc = await testConnection(nats.url);
    const order: string[] = [];

    const reply = work(nc).then((body) => {
      order.push("reply");
      return body;
    });
    await started.promise;
    const began = Date.now();
    await service.shutdown("test");
    order.push("shutdown resolved");

    expect(await reply).toEqual({ v: 1, slept: 500 });
    expect(order).toEqual(["reply", "shutdown resolved"]);
    expect(Date.now() - began).toBeGreaterThanOrEqual(400);
  });

  it("takes no new work once it has begun: a new request finds no responder", async () => {
    const started = deferred();
    const release = deferred();
    await using service = await hostService(
      probeService(async () => {
        started.resolve();
        await release.promise;
        return { v: 1, released: true };
      }),
      nats.url,
    );
    await using nc = await testConnection(nats.url);
    const inFlight = work(nc, 10_000);
    await started.promise;

    const stopped = service.shutdown("test");
    const readyz = await askHealth(service.healthPort, "/readyz");
    await eventually("a new request finds no responder", async () => {
      const outcome = await work(nc, 1_000).catch((error: unknown) => error);
      return outcome instanceof errors.RequestError && outcome.isNoResponders();
    });
    await expect(
      nc.request("patinox.svc.probe.status", '{"v":1}', { timeout: 1_000 }),
    ).rejects.toSatisfy((error) => error instanceof errors.RequestError && error.isNoResponders());
    release.resolve();

    expect(await inFlight).toEqual({ v: 1, released: true });
    await stopped;
    expect(readyz.status).toBe(503);
    expect(readyz.body).toMatchObject({
      checks: expect.arrayContaining([{ name: "accepting", ok: false, detail: "shutting down" }]),
    });
    expect(await healthStatus(service.healthPort, "/healthz")).toBe(0);
  });

  it("aborts a request's signal only when the deadline passes, not when shutdown begins", async () => {
    const started = deferred();
    let abortedAfterMs: number | undefined;
    let shutdownBegan = 0;
    await using service = await hostService(
      probeService(async (signal) => {
        started.resolve();
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        abortedAfterMs = Date.now() - shutdownBegan;
        return { v: 1, aborted: true };
      }),
      nats.url,
      { PATINOX_SHUTDOWN_DEADLINE_MS: "400" },
    );
    await using nc = await testConnection(nats.url);
    const inFlight = work(nc).catch(() => undefined);
    await started.promise;

    shutdownBegan = Date.now();
    await service.shutdown("test");
    await inFlight;

    expect(abortedAfterMs).toBeGreaterThanOrEqual(350);
    const warning = await service.log.waitFor((r) => r.msg?.includes("deadline passed") ?? false);
    expect(warning).toMatchObject({ abandoned: 1, deadlineMs: 400 });
  });

  it("runs the hooks last-added first, once, past a hook that fails", async () => {
    const ran: string[] = [];
    await using service = await hostService(
      {
        ...answerAtOnce,
        start(context) {
          context.onShutdown(() => {
            ran.push("first");
          });
          context.onShutdown(() => {
            throw new Error("hook broke");
          });
          context.onShutdown(async () => {
            await delay(10);
            ran.push("third");
          });
        },
      },
      nats.url,
    );

    const first = service.shutdown("test");
    const second = service.shutdown("again");
    await Promise.all([first, second]);

    expect(second).toBe(first);
    expect(ran).toEqual(["third", "first"]);
    expect(service.log.records().find((r) => r.msg === "shutdown hook failed")).toMatchObject({
      level: "error",
      err: { message: "hook broke" },
    });
    expect(service.log.records().at(-1)?.msg).toBe("stopped");
  });
});

/** Three servers, two of them down: the one left answers, but JetStream has no leader. */
async function clusterWithoutQuorum(): Promise<NatsCluster> {
  const cluster = await NatsCluster.start();
  await cluster.killNode(1);
  await cluster.killNode(2);
  return cluster;
}

describe("starting", () => {
  it("answers /readyz 503 while NATS is not up yet, and 200 once the service has started", async () => {
    const natsPort = await freePort();
    const healthPort = await freePort();
    const log = new MemoryLog();
    // startService resolves only once connected: run it in the background and watch /readyz.
    const starting = startService(answerAtOnce, {
      env: hostEnvironment(`nats://127.0.0.1:${natsPort}`, {
        PATINOX_HEALTH_PORT: String(healthPort),
      }),
      logDestination: log,
    });
    await eventually("the health server listens", async () => {
      return (await healthStatus(healthPort, "/healthz")) === 200;
    });

    const before = await askHealth(healthPort, "/readyz");
    await using server = await NatsServer.start({ port: natsPort });
    await using _service = disposing(await starting);
    const service = _service;
    await eventually("/readyz says ready", async () => {
      return (await healthStatus(healthPort, "/readyz")) === 200;
    });
    await service.shutdown("test");

    expect(before.status).toBe(503);
    expect(before.body).toEqual({
      status: "not ready",
      checks: [{ name: "startup", ok: false, detail: "connecting to NATS and opening knowledge" }],
    });
    expect(service.healthPort).toBe(healthPort);
    expect(server.running).toBe(true);
  });

  it("waits out JetStream without a quorum (not ready, starting again), then starts", async () => {
    await using cluster = await clusterWithoutQuorum();
    const healthPort = await freePort();
    const log = new MemoryLog();
    const starting = startService(answerAtOnce, {
      env: hostEnvironment(cluster.nodes[0]?.url ?? "", {
        PATINOX_HEALTH_PORT: String(healthPort),
        PATINOX_BUCKET_REPLICAS: "3",
      }),
      logDestination: log,
    });
    let failed: unknown;
    starting.catch((error: unknown) => {
      failed = error;
    });
    await eventually("a start attempt failed and is retried", () =>
      log.lines.some((l) => l.includes("NATS or JetStream not ready; starting again")),
    );
    expect(failed).toBeUndefined();
    expect((await askHealth(healthPort, "/readyz")).status).toBe(503);

    await Promise.all([cluster.restartNode(1), cluster.restartNode(2)]);
    await using service = disposing(await starting);
    await using nc = await testConnection(cluster.nodes[0]?.url ?? "");
    expect(await work(nc)).toEqual({ v: 1, done: true });
    // Ready once the bucket's check passes too, as the cluster settles.
    await eventually(
      "/readyz says ready",
      async () => (await healthStatus(healthPort, "/readyz")) === 200,
      20_000,
    );
    await service.shutdown("test");
  }, 90_000);

  it("aborts a request an attempt took before it failed, then starts again", async () => {
    let attempts = 0;
    const accepted = deferred();
    const aborted = deferred();
    const flaky = probeService(async () => ({ v: 1 }), {
      start: async (context) => {
        attempts += 1;
        context.addEndpoint({
          name: "work",
          subject: "probe.work",
          request: Ping,
          description: "takes a request, then the start fails",
          handle: async (_request, { signal }) => {
            if (attempts > 1) return { v: 1, done: true };
            accepted.resolve();
            await new Promise((resolve) => signal.addEventListener("abort", resolve));
            aborted.resolve();
            return { v: 1, cancelled: true };
          },
        });
        if (attempts === 1) {
          // As when a JetStream call of the service's start times out after an endpoint is up.
          await accepted.promise;
          throw new Error("could not ensure a stream", { cause: new TimeoutError() });
        }
      },
    });
    await using nc = await testConnection(nats.url);
    const starting = startService(flaky, {
      env: hostEnvironment(nats.url),
      logDestination: new MemoryLog(),
    });
    await eventually("the first attempt's endpoint answers", async () => {
      void nc.request("probe.work", '{"v":1}', { timeout: 10_000 }).catch(() => undefined);
      return await Promise.race([accepted.promise.then(() => true), delay(200).then(() => false)]);
    });
    await using service = disposing(await starting);
    await aborted.promise; // not left running detached
    expect(attempts).toBe(2);
    expect(await work(nc)).toEqual({ v: 1, done: true });
    await service.shutdown("test");
  });

  it("gives up on JetStream after PATINOX_START_TIMEOUT_MS, and says why", async () => {
    await using cluster = await clusterWithoutQuorum();
    const healthPort = await freePort();
    const log = new MemoryLog();
    const began = performance.now();
    const starting = startService(answerAtOnce, {
      env: hostEnvironment(cluster.nodes[0]?.url ?? "", {
        PATINOX_HEALTH_PORT: String(healthPort),
        PATINOX_BUCKET_REPLICAS: "3",
        // Longer than one attempt (a JetStream request may take 5 s to time out): it retries.
        PATINOX_START_TIMEOUT_MS: "8000",
      }),
      logDestination: log,
    });
    await expect(starting).rejects.toThrow(/timeout|unavailable/i);
    expect(performance.now() - began).toBeGreaterThanOrEqual(8_000);
    expect(log.text).toContain("NATS or JetStream not ready; starting again");
    expect(await healthStatus(healthPort, "/healthz")).toBe(0); // closed on giving up
  }, 60_000);

  it("fails at once, without retrying, against a server without JetStream", async () => {
    await using plain = await NatsServer.start({ jetstream: false });
    const log = new MemoryLog();
    await expect(
      startService(answerAtOnce, { env: hostEnvironment(plain.url), logDestination: log }),
    ).rejects.toThrow(/jetstream is not enabled/i);
    expect(log.text).not.toContain("starting again");
  });

  it("throws ConfigError on bad configuration, before it binds a port", async () => {
    const healthPort = await freePort();

    const starting = startService(answerAtOnce, {
      env: hostEnvironment(nats.url, {
        PATINOX_HEALTH_PORT: String(healthPort),
        PATINOX_SHUTDOWN_DEADLINE_MS: "soon",
      }),
      logDestination: new MemoryLog(),
    });

    await expect(starting).rejects.toBeInstanceOf(ConfigError);
    await expect(starting).rejects.toThrow(/PATINOX_SHUTDOWN_DEADLINE_MS: expected a whole number/);
    expect(await healthStatus(healthPort, "/healthz")).toBe(0);
  });
});

describe("a service whose start fails", () => {
  it("leaves nothing behind: actors stopped, the health port free again, gone from $SRV", async () => {
    const healthPort = await freePort();
    const stopped: string[] = [];
    const failing = probeService(async () => ({ v: 1 }), {
      name: "broken",
      start: async (context) => {
        await context.supervisor.spawn({
          name: "half-built",
          start: () => ({ receive: () => {}, stop: () => void stopped.push("half-built") }),
        });
        throw new Error("cannot build actors");
      },
    });

    await expect(
      startService(failing, {
        env: hostEnvironment(nats.url, { PATINOX_HEALTH_PORT: String(healthPort) }),
        logDestination: new MemoryLog(),
      }),
    ).rejects.toThrow("cannot build actors");
    expect(stopped).toEqual(["half-built"]);

    expect(await healthStatus(healthPort, "/healthz")).toBe(0);
    // The same port can be used again at once by a retry.
    await using retried = disposing(
      await startService(answerAtOnce, {
        env: hostEnvironment(nats.url, { PATINOX_HEALTH_PORT: String(healthPort) }),
        logDestination: new MemoryLog(),
      }),
    );
    expect(retried.healthPort).toBe(healthPort);
    await using nc = await testConnection(nats.url);
    await expect(nc.request("$SRV.PING.broken", "", { timeout: 1_000 })).rejects.toThrow(
      /no responders/,
    );
  });
});

function disposing<T extends { shutdown(reason?: string): Promise<void> }>(
  running: T,
): T & AsyncDisposable {
  return Object.assign(running, { [Symbol.asyncDispose]: () => running.shutdown("test finished") });
}

function upstream(ok: boolean) {
  return {
    name: "upstream",
    check: () => (ok ? { ok: true } : { ok: false, detail: "upstream down" }),
  };
}

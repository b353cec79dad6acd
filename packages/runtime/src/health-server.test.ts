import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  type CheckResult,
  type HealthServerOptions,
  type ReadinessCheck,
  runChecks,
  startHealthServer,
} from "./health-server.ts";
import { eventually } from "./test-support/eventually.ts";
import { askHealth, healthStatus } from "./test-support/http.ts";

function serve(checks: readonly ReadinessCheck[] = [], options: Partial<HealthServerOptions> = {}) {
  return startHealthServer({
    host: "127.0.0.1",
    port: 0,
    stallThresholdMs: 5_000,
    checks: () => checks,
    checkTimeoutMs: 200,
    ...options,
  });
}

const passing = (name: string): ReadinessCheck => ({ name, check: () => ({ ok: true }) });

/** Blocks the event loop, as a runaway synchronous computation would. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Spin: nothing else may run.
  }
}

describe("/healthz", () => {
  it("answers 200 with the event loop lag", async () => {
    await using health = await serve();

    const answer = await askHealth(health.port, "/healthz");

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: "ok", eventLoopLagMs: expect.any(Number) });
    expect((answer.body as { eventLoopLagMs: number }).eventLoopLagMs).toBeGreaterThanOrEqual(0);
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(answer.headers.get("cache-control")).toBe("no-store");
  });

  it("ignores the query string", async () => {
    await using health = await serve();

    expect((await askHealth(health.port, "/healthz?probe=kubelet")).status).toBe(200);
  });

  it("answers 503 right after the event loop was blocked past the threshold, then recovers", async () => {
    await using health = await serve([], { stallThresholdMs: 200 });
    // A first request warms the HTTP client, so the one that matters is answered at once.
    expect((await askHealth(health.port, "/healthz")).status).toBe(200);

    blockEventLoop(600);
    const stalled = await askHealth(health.port, "/healthz");

    expect(stalled.status).toBe(503);
    expect(stalled.body).toMatchObject({ status: "stalled" });
    expect((stalled.body as { eventLoopLagMs: number }).eventLoopLagMs).toBeGreaterThanOrEqual(200);
    await eventually("/healthz is 200 again", async () => {
      return (await healthStatus(health.port, "/healthz")) === 200;
    });
  });
});

describe("/readyz", () => {
  it("answers 200 listing each check when all pass", async () => {
    await using health = await serve([
      passing("nats"),
      { name: "bucket", check: async () => ({ ok: true, detail: "patinox" }) },
    ]);

    const answer = await askHealth(health.port, "/readyz");

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      status: "ready",
      checks: [
        { name: "nats", ok: true },
        { name: "bucket", ok: true, detail: "patinox" },
      ],
    });
  });

  it("answers 503 naming the check that fails", async () => {
    await using health = await serve([
      passing("nats"),
      { name: "jetstream", check: () => ({ ok: false, detail: "no meta leader" }) },
    ]);

    const answer = await askHealth(health.port, "/readyz");

    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      status: "not ready",
      checks: [
        { name: "nats", ok: true },
        { name: "jetstream", ok: false, detail: "no meta leader" },
      ],
    });
  });

  it("fails a check that throws, with its message", async () => {
    await using health = await serve([
      {
        name: "knowledge",
        check: async () => {
          throw new Error("bucket patinox not found");
        },
      },
      {
        name: "sync",
        check: () => {
          throw "not an Error";
        },
      },
    ]);

    const answer = await askHealth(health.port, "/readyz");

    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({
      checks: [
        { name: "knowledge", ok: false, detail: "bucket patinox not found" },
        { name: "sync", ok: false, detail: "not an Error" },
      ],
    });
  });

  it("fails a check slower than checkTimeoutMs without waiting for it", async () => {
    await using health = await serve([
      passing("nats"),
      { name: "slow", check: () => delay(5_000, { ok: true }) },
      { name: "hung", check: () => new Promise<CheckResult>(() => {}) },
    ]);

    const began = performance.now();
    const answer = await askHealth(health.port, "/readyz");

    expect(performance.now() - began).toBeLessThan(2_000);
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({
      checks: [
        { name: "nats", ok: true },
        { name: "slow", ok: false, detail: "no answer within 200 ms" },
        { name: "hung", ok: false, detail: "no answer within 200 ms" },
      ],
    });
  });

  it("asks for the checks on every request, so checks added later count", async () => {
    const checks: ReadinessCheck[] = [{ name: "startup", check: () => ({ ok: false }) }];
    await using health = await startHealthServer({
      host: "127.0.0.1",
      port: 0,
      stallThresholdMs: 5_000,
      checks: () => checks,
    });

    const before = await askHealth(health.port, "/readyz");
    checks.splice(0, 1, passing("nats"));
    const after = await askHealth(health.port, "/readyz");

    expect([before.status, after.status]).toEqual([503, 200]);
  });
});

describe("other requests", () => {
  it.each(["/", "/metrics", "/healthz/extra", "/READYZ"])("answers 404 for %s", async (path) => {
    await using health = await serve();

    const answer = await askHealth(health.port, path);

    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: "not found", paths: ["/healthz", "/readyz"] });
  });

  it.each(["/healthz", "/readyz"])("answers 405 to a POST to %s", async (path) => {
    await using health = await serve([passing("nats")]);

    const answer = await askHealth(health.port, path, "POST");

    expect(answer.status).toBe(405);
    expect(answer.body).toEqual({ error: "method not allowed" });
  });

  it("answers HEAD like GET, without a body", async () => {
    await using health = await serve([{ name: "down", check: () => ({ ok: false }) }]);

    const healthz = await askHealth(health.port, "/healthz", "HEAD");
    const readyz = await askHealth(health.port, "/readyz", "HEAD");

    expect([healthz.status, readyz.status]).toEqual([200, 503]);
    expect([healthz.body, readyz.body]).toEqual([undefined, undefined]);
  });
});

describe("closing", () => {
  it("stops answering and frees the port", async () => {
    const health = await serve();
    const port = health.port;
    expect(await healthStatus(port, "/healthz")).toBe(200);

    await health.close();

    expect(await healthStatus(port, "/healthz")).toBe(0);
    await using again = await serve([], { port });
    expect(again.port).toBe(port);
  });

  it("refuses to start on a port that is taken", async () => {
    await using first = await serve();

    await expect(serve([], { port: first.port })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});

describe("runChecks", () => {
  it("calls a check as a method, so a class-based check can use its own state", async () => {
    class Connection implements ReadinessCheck {
      readonly name = "connection";
      #open = true;
      check(): CheckResult {
        return { ok: this.#open };
      }
    }

    expect(await runChecks([new Connection()], 100)).toEqual([{ name: "connection", ok: true }]);
  });

  it("runs the checks concurrently", async () => {
    const slow = (name: string): ReadinessCheck => ({
      name,
      check: () => delay(150, { ok: true }),
    });

    const began = performance.now();
    const results = await runChecks([slow("a"), slow("b"), slow("c"), slow("d")], 1_000);

    expect(results.every((r) => r.ok)).toBe(true);
    expect(performance.now() - began).toBeLessThan(500);
  });
});

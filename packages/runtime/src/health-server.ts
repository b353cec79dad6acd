import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The outcome of one readiness check. */
export interface CheckResult {
  readonly ok: boolean;
  readonly detail?: string;
}

/** A named readiness check; it must answer quickly (it runs on every `/readyz`). */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<CheckResult> | CheckResult;
}

/** Options for {@link startHealthServer}. */
export interface HealthServerOptions {
  readonly host: string;
  readonly port: number;
  /** `/healthz` fails when the event loop was blocked longer than this. */
  readonly stallThresholdMs: number;
  readonly checks: () => readonly ReadinessCheck[];
  /** Each check's budget; a check that takes longer fails. @default 2_000 */
  readonly checkTimeoutMs?: number;
}

/** A running health server. */
export interface HealthServer extends AsyncDisposable {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/healthz`: the process is alive and its event loop is not stalled (liveness).
 * `/readyz`: every readiness check passes (readiness); the body lists each check.
 * Both answer JSON; anything else is 404.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const tickMs = 250;
  let lastTick = performance.now();
  let worstLag = 0;
  // A timer that fires late measures how long the loop was blocked.
  const ticker = setInterval(() => {
    const now = performance.now();
    // The worst lag since the last probe: a stall is reported even if the loop has since
    // recovered, so a loop that stalls again and again cannot answer 200 in between.
    worstLag = Math.max(worstLag, now - lastTick - tickMs);
    lastTick = now;
  }, tickMs);
  ticker.unref();

  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, {
        "content-type": "application/json",
        "cache-control": "no-store",
      });
      response.end(`${JSON.stringify(body)}\n`);
    };
    if (request.method !== "GET" && request.method !== "HEAD")
      return reply(405, { error: "method not allowed" });
    if (path === "/healthz") {
      const lagMs = Math.round(Math.max(worstLag, performance.now() - lastTick - tickMs));
      worstLag = 0;
      const ok = lagMs < options.stallThresholdMs;
      return reply(ok ? 200 : 503, {
        status: ok ? "ok" : "stalled",
        eventLoopLagMs: Math.max(0, lagMs),
      });
    }
    if (path === "/readyz") {
      void runChecks(options.checks(), options.checkTimeoutMs ?? 2_000).then((checks) => {
        const ok = checks.every((c) => c.ok);
        reply(ok ? 200 : 503, { status: ok ? "ready" : "not ready", checks });
      });
      return;
    }
    reply(404, { error: "not found", paths: ["/healthz", "/readyz"] });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    clearInterval(ticker);
    throw error;
  }
  const close = async () => {
    clearInterval(ticker);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port: (server.address() as AddressInfo).port, close, [Symbol.asyncDispose]: close };
}

/** Runs readiness checks concurrently, each within `timeoutMs`; a throwing check fails. */
export async function runChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<Array<CheckResult & { name: string }>> {
  return await Promise.all(
    checks.map(async (readiness) => {
      const { name } = readiness;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<CheckResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
      });
      try {
        // Called as a method: a check may be a class instance that uses `this`.
        const result = await Promise.race([
          Promise.resolve().then(() => readiness.check()),
          timeout,
        ]);
        return { name, ...result };
      } catch (error) {
        // Capped: the status reply's schema limits a detail to 500 characters.
        const detail = error instanceof Error ? error.message : String(error);
        return { name, ok: false, detail: detail.slice(0, 500) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

import type { NatsConnection } from "@nats-io/nats-core";
import type { Service } from "@nats-io/services";
import type { Supervisor } from "@patinox/actors";
import type { Logger } from "pino";
import type { HealthServer } from "./health-server.ts";
import type { InFlight } from "./in-flight.ts";
import type { Telemetry } from "./telemetry.ts";

/** Everything a graceful shutdown stops, in the order it stops them. */
export interface ShutdownParts {
  readonly logger: Logger;
  /** Aborted first: readiness fails and actors stop taking work. */
  readonly intake: AbortController;
  /** Aborted only when the deadline passes with requests still in flight. */
  readonly deadline: AbortController;
  readonly deadlineMs: number;
  readonly service: Service;
  readonly inFlight: InFlight;
  readonly hooks: ReadonlyArray<() => Promise<void> | void>;
  readonly supervisor: Supervisor;
  readonly nc: NatsConnection;
  readonly telemetry: Telemetry;
  readonly health: HealthServer;
}

/**
 * Builds the idempotent graceful shutdown: stop intake, let in-flight requests finish (up
 * to the deadline), run hooks (last added first), stop actors, drain NATS, flush telemetry,
 * close the health server. Calling it again returns the same promise.
 */
export function gracefulShutdown(parts: ShutdownParts): (reason?: string) => Promise<void> {
  let stopping: Promise<void> | undefined;
  return (reason = "shutdown requested") => {
    stopping ??= run(parts, reason);
    return stopping;
  };
}

async function run(parts: ShutdownParts, reason: string): Promise<void> {
  const { logger, inFlight } = parts;
  logger.info({ reason, inFlight: inFlight.count }, "shutting down: no new work is taken");
  parts.intake.abort();
  try {
    // Every step is bounded: with NATS unreachable, unsubscribing and draining would wait for
    // a reconnect that may never come, and an actor stuck in a message must not hold the
    // process past its grace period.
    await withinMs(parts.service.stop(), 2_000);
    if (!(await inFlight.idle(parts.deadlineMs))) {
      logger.warn(
        { abandoned: inFlight.count, deadlineMs: parts.deadlineMs },
        "shutdown deadline passed with work in flight; abandoning it",
      );
      parts.deadline.abort();
    }
    for (const hook of [...parts.hooks].reverse()) {
      const settled = await withinMs(
        Promise.resolve()
          .then(hook)
          .catch((error: unknown) => logger.error({ err: error }, "shutdown hook failed")),
        HOOK_LIMIT_MS,
      );
      if (!settled) logger.warn({ limitMs: HOOK_LIMIT_MS }, "shutdown hook did not finish in time");
    }
    if (!(await withinMs(parts.supervisor.stop(), ACTORS_LIMIT_MS))) {
      logger.warn({ limitMs: ACTORS_LIMIT_MS }, "actors did not stop in time");
    }
    if (!(await withinMs(parts.nc.drain(), 5_000))) await parts.nc.close().catch(() => undefined);
    await withinMs(parts.telemetry.shutdown(), 2_000);
  } finally {
    await parts.health.close();
  }
  logger.info("stopped");
}

/** Longest a single shutdown hook may take. */
const HOOK_LIMIT_MS = 5_000;
/** Longest the actors may take to finish their current message and stop. */
const ACTORS_LIMIT_MS = 5_000;

/** Waits for `work` up to `ms`; true if it settled in time (a rejection counts as settled). */
export async function withinMs(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

import type { z } from "zod";
import type { Environment } from "../config.ts";
import type { RunningService, ServiceDefinition } from "../service-definition.ts";
import { startService } from "../service-host.ts";
import { MemoryLog } from "./memory-log.ts";

/** A service started in this process, its log kept in memory; shut down on dispose. */
export type HostedService = RunningService &
  AsyncDisposable & {
    readonly log: MemoryLog;
    /** What the root supervisor gave up with, if it did (the process would have exited 70). */
    readonly fatal: unknown[];
  };

/** The environment every hosted service gets: loopback health on a free port, debug logs. */
export function hostEnvironment(natsUrl: string, extra: Environment = {}): Environment {
  return {
    NATS_URL: natsUrl,
    PATINOX_HEALTH_HOST: "127.0.0.1",
    PATINOX_HEALTH_PORT: "0",
    LOG_LEVEL: "debug",
    ...extra,
  };
}

/**
 * Starts `definition` in-process against `natsUrl`. Logs go to a {@link MemoryLog} instead of
 * standard output so a test can assert them; the root supervisor giving up is recorded in
 * `fatal` instead of exiting the test process.
 */
export async function hostService<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
  natsUrl: string,
  extra: Environment = {},
): Promise<HostedService> {
  const log = new MemoryLog();
  const fatal: unknown[] = [];
  const running = await startService(definition, {
    env: hostEnvironment(natsUrl, extra),
    logDestination: log,
    onFatal: (error) => fatal.push(error),
  });
  return Object.assign(running, {
    log,
    fatal,
    [Symbol.asyncDispose]: async () => {
      await running.shutdown("test finished");
    },
  });
}

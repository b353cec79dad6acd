import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { AuthorizationError } from "@nats-io/nats-core";
import { Svcm } from "@nats-io/services";
import { createSupervisor, type Supervisor, type SupervisorGaveUp } from "@patinox/actors";
import { createSubjects } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import type { Logger } from "pino";
import type { z } from "zod";
import { ConfigError, type Environment, EXIT_CONFIG, env, readConfig } from "./config.ts";
import { addTypedEndpoint } from "./endpoint.ts";
import { type HealthServer, type ReadinessCheck, startHealthServer } from "./health-server.ts";
import { InFlight } from "./in-flight.ts";
import { createLogger } from "./logger.ts";
import { connectNats, displayServers, logConnectionStatus } from "./nats-connection.ts";
import { builtInReadinessChecks } from "./readiness.ts";
import { DEFAULT_HEALTH_PORT, type RuntimeConfig, RuntimeConfigSchema } from "./runtime-config.ts";
import type {
  RunningService,
  ServiceContext,
  ServiceDefinition,
  StartOptions,
} from "./service-definition.ts";
import { gracefulShutdown } from "./shutdown.ts";
import { isTransientStartError, startRetryDelayMs } from "./start-retry.ts";
import { statusEndpoint } from "./status-endpoint.ts";
import { describeError, logSupervisorEvent } from "./supervision-log.ts";
import { startTelemetry, type Telemetry } from "./telemetry.ts";

/** Exit status when the root supervisor gives up or an invariant breaks (EX_SOFTWARE). */
export const EXIT_SOFTWARE = 70;

/**
 * Starts a service: configuration (once, frozen), logs, telemetry, the health server, the
 * NATS connection, the knowledge bucket, the root supervisor, micro-service registration
 * (`$SRV.PING/INFO/STATS`), the status endpoint, then the service's own `start`. Throws
 * {@link ConfigError} on bad configuration; if a later step fails, everything already
 * started is stopped again (last first) — and when JetStream was only not ready yet
 * (`isTransientStartError`), the start begins again after a pause, not ready meanwhile, for
 * up to `PATINOX_START_TIMEOUT_MS` — before the error is thrown.
 */
export async function startService<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
  options: StartOptions = {},
): Promise<RunningService> {
  const environment = options.env ?? process.env;
  const config = readServiceConfig(definition, environment);
  const instanceId =
    config.PATINOX_INSTANCE_ID ?? `${hostname()}-${randomBytes(3).toString("hex")}`;
  const logger = createLogger({
    service: definition.name,
    instanceId,
    level: config.LOG_LEVEL,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const telemetry = await startTelemetry(definition.name, environment, (error) =>
    logger.warn({ err: error }, "telemetry failed; continuing without it"),
  );
  // Health first: while NATS is still unreachable the process is alive (`/healthz` 200) but
  // not ready (`/readyz` 503), and the connection keeps trying instead of exiting.
  let checks = (): readonly ReadinessCheck[] => [STARTING];
  const health = await startHealthServer({
    host: config.PATINOX_HEALTH_HOST,
    port: config.PATINOX_HEALTH_PORT,
    stallThresholdMs: config.PATINOX_STALL_THRESHOLD_MS,
    checks: () => checks(),
  });
  logger.info(
    { healthPort: health.port, nats: displayServers(config.NATS_URL) },
    `${definition.name} starting`,
  );
  const started: Started<S> = {
    definition,
    options,
    config,
    instanceId,
    logger,
    telemetry,
    health,
  };
  const giveUpAt = performance.now() + config.PATINOX_START_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    // Stopped last first if a later step fails, so a retry (here, or by an in-process host)
    // can use the same port.
    const undo: Array<() => Promise<unknown>> = [];
    try {
      const { running, ready } = await assemble(started, undo, () => checks());
      checks = ready;
      logger.info(
        {
          healthPort: health.port,
          nats: displayServers(config.NATS_URL),
          bucket: config.PATINOX_BUCKET,
          prefix: config.PATINOX_PREFIX,
          version: definition.version,
        },
        `${definition.name} started`,
      );
      return running;
    } catch (error) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      const delayMs = startRetryDelayMs(attempt);
      // JetStream electing a leader (a NATS server restarted, a rolling upgrade) fails a start
      // for a few seconds: wait it out here, not ready meanwhile, instead of exiting into a
      // crash loop. Anything else, or past the start timeout, fails the start.
      if (isTransientStartError(error) && performance.now() + delayMs < giveUpAt) {
        logger.warn(
          { err: error, attempt, retryInMs: delayMs },
          "NATS or JetStream not ready; starting again",
        );
        await delay(delayMs);
        continue;
      }
      await health.close().catch(() => undefined);
      await telemetry.shutdown().catch(() => undefined);
      throw error;
    }
  }
}

/** Shown by `/readyz` until the service has started. */
const STARTING: ReadinessCheck = {
  name: "startup",
  check: () => ({ ok: false, detail: "connecting to NATS and opening knowledge" }),
};

/** What {@link startService} has set up before it connects. */
interface Started<S extends z.ZodObject> {
  readonly definition: ServiceDefinition<S>;
  readonly options: StartOptions;
  readonly config: Readonly<RuntimeConfig & z.output<S>>;
  readonly instanceId: string;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly health: HealthServer;
}

/** The runtime's variables plus the service's own, with the service's default health port. */
function readServiceConfig<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
  environment: Environment,
): Readonly<RuntimeConfig & z.output<S>> {
  // Each service has its own default health port so all four can run side by side locally.
  const base = RuntimeConfigSchema.extend({
    PATINOX_HEALTH_PORT: env.int(0, 65535).default(definition.healthPort ?? DEFAULT_HEALTH_PORT),
  });
  const schema = definition.config ? base.extend(definition.config.shape) : base;
  return readConfig(schema, environment) as Readonly<RuntimeConfig & z.output<S>>;
}

/**
 * Connects, opens the knowledge bucket, builds the root supervisor and the micro service,
 * runs the service's `start`, and returns the running service with its readiness checks.
 * Each step that holds a resource adds its undo to `undo`.
 */
async function assemble<S extends z.ZodObject>(
  started: Started<S>,
  undo: Array<() => Promise<unknown>>,
  currentChecks: () => readonly ReadinessCheck[],
): Promise<{ running: RunningService; ready: () => readonly ReadinessCheck[] }> {
  const { definition, options, config, instanceId, logger, telemetry, health } = started;
  const nc = await connectNats(config, `patinox-${definition.name}-${instanceId}`);
  undo.push(() => nc.close());
  logConnectionStatus(nc, logger);
  const knowledge = await openKnowledge(nc, {
    bucket: config.PATINOX_BUCKET,
    replicas: config.PATINOX_BUCKET_REPLICAS,
  });
  const intake = new AbortController();
  // Requests in flight may finish after shutdown begins; their signal fires only at the deadline.
  const deadline = new AbortController();
  // Every request in flight listens to it (the runs of a busy service: thousands); not a leak.
  setMaxListeners(0, intake.signal, deadline.signal);
  const inFlight = new InFlight();
  // A start that fails after an endpoint took a request (a JetStream call of the service's
  // start timed out) must not leave that request running detached while the next attempt
  // starts: undone after the endpoints stop, before the connection closes.
  undo.push(async () => {
    intake.abort();
    deadline.abort();
    await inFlight.idle(5_000);
  });
  const hooks: Array<() => Promise<void> | void> = [];
  const serviceChecks: ReadinessCheck[] = [];
  const supervisor = rootSupervisor(definition, logger, options.onFatal);
  undo.push(() => supervisor.stop());
  const service = await new Svcm(nc).add({
    name: definition.name,
    version: definition.version,
    description: definition.description,
    // No service-wide queue group: each endpoint names its own (the service name by
    // default), so the status endpoint can opt out and every instance answers it.
    queue: "",
    metadata: {
      instance: instanceId,
      prefix: config.PATINOX_PREFIX,
      bucket: config.PATINOX_BUCKET,
    },
  });
  undo.push(() => service.stop());
  const endpointHost = {
    service,
    serviceName: definition.name,
    inFlight,
    logger,
    signal: deadline.signal,
  };
  const subjects = createSubjects(config.PATINOX_PREFIX);
  const context: ServiceContext<z.output<S>> = {
    config,
    instanceId,
    logger,
    nc,
    knowledge,
    subjects,
    telemetry,
    supervisor,
    signal: intake.signal,
    addEndpoint: (spec) => addTypedEndpoint(endpointHost, spec),
    addReadinessCheck: (check) => serviceChecks.push(check),
    onShutdown: (hook) => hooks.push(hook),
  };
  context.addEndpoint(
    statusEndpoint({
      service: definition.name,
      version: definition.version,
      instanceId,
      subject: subjects.serviceStatus(definition.name),
      bucket: knowledge.bucket,
      startedAt: new Date(),
      supervisor,
      checks: currentChecks,
    }),
  );
  const builtIn = await builtInReadinessChecks({
    nc,
    knowledge,
    supervisor,
    shutdown: intake.signal,
  });

  await definition.start(context);
  // Subscriptions reach the server before anyone is told the service has started.
  await nc.flush();

  const deadlineMs = config.PATINOX_SHUTDOWN_DEADLINE_MS;
  const shutdown = gracefulShutdown({
    logger,
    intake,
    deadline,
    deadlineMs,
    service,
    inFlight,
    hooks,
    supervisor,
    nc,
    telemetry,
    health,
  });
  void nc.closed().then((error) => {
    if (!intake.signal.aborted) options.onConnectionClosed?.(error ?? undefined);
  });
  return {
    running: {
      instanceId,
      healthPort: health.port,
      logger,
      shutdownDeadlineMs: deadlineMs,
      shutdown,
    },
    ready: () => [...builtIn, ...serviceChecks],
  };
}

/** The root supervisor; its giving up ends the process (70) unless the host says otherwise. */
function rootSupervisor<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
  logger: Logger,
  onFatal: StartOptions["onFatal"],
): Supervisor {
  return createSupervisor({
    name: definition.name,
    ...definition.supervision,
    onEvent: logSupervisorEvent(logger),
    onGiveUp:
      onFatal ??
      ((error: SupervisorGaveUp) => {
        logger.fatal(
          { err: error },
          "root supervisor gave up; exiting so the orchestrator restarts the process",
        );
        process.exit(EXIT_SOFTWARE);
      }),
  });
}

/**
 * The entry point of a service process: starts it, wires SIGTERM/SIGINT to a graceful
 * shutdown (a second signal exits at once), and exits 78 on bad configuration (including
 * credentials NATS refuses), 70 when the root supervisor gives up or an error escapes, 0
 * after a clean shutdown.
 */
export async function runService<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
): Promise<void> {
  const name = `patinox-${definition.name}`;
  let running: RunningService | undefined;
  let signals = 0;
  // Installed before start: a signal while NATS is still unreachable must end the process
  // cleanly too, not by the default action.
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (!running || signals > 1) {
      running?.logger.warn({ signal }, "second signal: exiting now");
      process.exit(running ? 130 : 0);
    }
    // A last resort if shutdown overruns its bounded steps: the orchestrator would SIGKILL anyway.
    setTimeout(() => process.exit(EXIT_SOFTWARE), running.shutdownDeadlineMs + 30_000).unref();
    void running.shutdown(`received ${signal}`).then(() => process.exit(0));
  };
  const onEscaped = (kind: string) => (reason: unknown) => {
    if (running) running.logger.fatal({ err: reason }, `${kind}; exiting`);
    else process.stderr.write(`${name}: ${kind}: ${describeError(reason)}\n`);
    process.exit(EXIT_SOFTWARE);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("unhandledRejection", onEscaped("unhandled rejection"));
  process.on("uncaughtException", onEscaped("uncaught exception"));
  try {
    running = await startService(definition, {
      // NATS closed for good (e.g. credentials revoked): a process that stays up doing
      // nothing is worse than one the orchestrator restarts.
      onConnectionClosed: (error) => {
        running?.logger.fatal({ err: error }, "NATS connection closed for good; exiting");
        process.exit(EXIT_SOFTWARE);
      },
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    if (error instanceof AuthorizationError) {
      process.stderr.write(
        `${name}: NATS refused the credentials (check NATS_CREDS, NATS_NKEY_SEED, NATS_USER/NATS_PASSWORD or NATS_TOKEN)\n`,
      );
      process.exit(EXIT_CONFIG);
    }
    process.stderr.write(`${name}: failed to start: ${describeError(error)}\n`);
    process.exit(EXIT_SOFTWARE);
  }
}

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { type Service, Svcm } from "@nats-io/services";
import {
  type BackoffOptions,
  createSupervisor,
  type RestartIntensity,
  type Supervisor,
  type SupervisorGaveUp,
} from "@patinox/actors";
import { createSubjects, type StatusReply, StatusRequest, type Subjects } from "@patinox/contracts";
import { type Knowledge, openKnowledge } from "@patinox/knowledge";
import type { Logger } from "pino";
import type { z } from "zod";
import { ConfigError, type Environment, EXIT_CONFIG, readConfig } from "./config.ts";
import { addTypedEndpoint, type EndpointSpec } from "./endpoint.ts";
import {
  type HealthServer,
  type ReadinessCheck,
  runChecks,
  startHealthServer,
} from "./health-server.ts";
import { InFlight } from "./in-flight.ts";
import { createLogger } from "./logger.ts";
import { connectNats, logConnectionStatus } from "./nats-connection.ts";
import { type RuntimeConfig, RuntimeConfigSchema } from "./runtime-config.ts";
import { startTelemetry, type Telemetry } from "./telemetry.ts";

/** Exit status when the root supervisor gives up or an invariant breaks (EX_SOFTWARE). */
export const EXIT_SOFTWARE = 70;

/** A Patinox service: its identity, its own configuration, and how it builds itself. */
export interface ServiceDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Micro-service name, e.g. `execute`; also the default queue group. */
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** The service's own environment variables, parsed together with the runtime's. */
  readonly config?: S;
  /** The root supervisor's restart budget and backoff. @default the actors package's defaults */
  readonly supervision?: {
    readonly intensity?: RestartIntensity;
    readonly backoff?: BackoffOptions;
  };
  /** Builds actors under `context.supervisor` and registers endpoints. Called once. */
  start(context: ServiceContext<z.output<S>>): Promise<void> | void;
}

/** What a service's `start` gets from the host. */
export interface ServiceContext<C> {
  readonly config: Readonly<RuntimeConfig & C>;
  readonly instanceId: string;
  readonly logger: Logger;
  readonly nc: NatsConnection;
  readonly knowledge: Knowledge;
  readonly subjects: Subjects;
  readonly telemetry: Telemetry;
  /** The root supervisor: its giving up ends the process with status 70. */
  readonly supervisor: Supervisor;
  /** Aborted when shutdown begins: stop taking new work. */
  readonly signal: AbortSignal;
  /** Adds a typed request/reply endpoint (tracked for graceful shutdown). */
  addEndpoint<S extends z.ZodType, R>(spec: EndpointSpec<S, R>): void;
  /** Adds a check to `/readyz`. */
  addReadinessCheck(check: ReadinessCheck): void;
  /** Runs during shutdown after in-flight requests finish, before NATS drains (last added runs first). */
  onShutdown(hook: () => Promise<void> | void): void;
}

/** Options for {@link startService}, mostly for tests that host a service in-process. */
export interface StartOptions {
  /** @default process.env */
  readonly env?: Environment;
  /** Log destination. @default standard output */
  readonly logDestination?: NodeJS.WritableStream;
  /** Called when the root supervisor gives up. @default exit the process with status 70 */
  readonly onFatal?: (error: SupervisorGaveUp) => void;
}

/** A started service. */
export interface RunningService {
  readonly instanceId: string;
  readonly healthPort: number;
  readonly logger: Logger;
  /** How long in-flight work may take after shutdown begins. */
  readonly shutdownDeadlineMs: number;
  /** Stops intake, waits for in-flight work (up to the deadline), drains NATS, flushes telemetry. */
  shutdown(reason?: string): Promise<void>;
}

/**
 * Starts a service: configuration (once, frozen), logs, telemetry, the NATS connection, the
 * knowledge bucket, the root supervisor, micro-service registration (`$SRV.PING/INFO/STATS`),
 * the status endpoint and the health server. Throws {@link ConfigError} on bad configuration.
 */
export async function startService<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
  options: StartOptions = {},
): Promise<RunningService> {
  const environment = options.env ?? process.env;
  const schema = definition.config
    ? RuntimeConfigSchema.extend(definition.config.shape)
    : RuntimeConfigSchema;
  const config = readConfig(schema, environment) as Readonly<RuntimeConfig & z.output<S>>;
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
  const startupCheck: ReadinessCheck = {
    name: "startup",
    check: () => ({ ok: false, detail: "connecting to NATS and opening knowledge" }),
  };
  let checks = (): readonly ReadinessCheck[] => [startupCheck];
  const health: HealthServer = await startHealthServer({
    host: config.PATINOX_HEALTH_HOST,
    port: config.PATINOX_HEALTH_PORT,
    stallThresholdMs: config.PATINOX_STALL_THRESHOLD_MS,
    checks: () => checks(),
  });
  logger.info({ healthPort: health.port, nats: config.NATS_URL }, `${definition.name} starting`);

  const nc = await connectNats(config, `patinox-${definition.name}-${instanceId}`);
  logConnectionStatus(nc, logger);
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") connected = false;
      if (status.type === "reconnect") connected = true;
    }
  })();
  const knowledge = await openKnowledge(nc, {
    bucket: config.PATINOX_BUCKET,
    replicas: config.PATINOX_BUCKET_REPLICAS,
  });
  const subjects = createSubjects(config.PATINOX_PREFIX);
  const shutdownController = new AbortController();
  // Requests in flight may finish after shutdown begins; their signal fires only at the deadline.
  const deadlineController = new AbortController();
  const inFlight = new InFlight();
  const shutdownHooks: Array<() => Promise<void> | void> = [];
  const readinessChecks: ReadinessCheck[] = [];
  const startedAt = new Date();

  const fatal =
    options.onFatal ??
    ((error: SupervisorGaveUp) => {
      logger.fatal(
        { err: error },
        "root supervisor gave up; exiting so the orchestrator restarts the process",
      );
      process.exit(EXIT_SOFTWARE);
    });
  const supervisor = createSupervisor({
    name: definition.name,
    ...definition.supervision,
    onEvent: (event) => {
      // Errors are logged by message: pino serialises an Error only under `err`.
      const { error, ...rest } = "error" in event ? event : { ...event, error: undefined };
      const fields = {
        supervisor: error === undefined ? rest : { ...rest, error: describe(error) },
      };
      const failed = event.type === "child-failed" || event.type === "gave-up";
      logger[failed ? "warn" : "info"](fields, `supervisor: ${event.type}`);
    },
    onGiveUp: fatal,
  });

  const service: Service = await new Svcm(nc).add({
    name: definition.name,
    version: definition.version,
    description: definition.description,
    queue: definition.name,
    metadata: {
      instance: instanceId,
      prefix: config.PATINOX_PREFIX,
      bucket: config.PATINOX_BUCKET,
    },
  });
  const endpointHost = {
    service,
    serviceName: definition.name,
    inFlight,
    logger,
    signal: deadlineController.signal,
  };

  const context: ServiceContext<z.output<S>> = {
    config,
    instanceId,
    logger,
    nc,
    knowledge,
    subjects,
    telemetry,
    supervisor,
    signal: shutdownController.signal,
    addEndpoint: (spec) => addTypedEndpoint(endpointHost, spec),
    addReadinessCheck: (check) => readinessChecks.push(check),
    onShutdown: (hook) => shutdownHooks.push(hook),
  };

  context.addEndpoint({
    name: "status",
    subject: subjects.serviceStatus(definition.name),
    // Every instance answers its own status: no queue group.
    queue: "",
    request: StatusRequest,
    description: "this instance's status and actor tree",
    handle: async (): Promise<z.input<typeof StatusReply>> => {
      const results = await runChecks(checks(), 2_000);
      return {
        v: 1,
        service: definition.name,
        instanceId,
        version: definition.version,
        startedAt: startedAt.toISOString(),
        uptimeMs: Date.now() - startedAt.getTime(),
        ready: results.every((c) => c.ok),
        checks: results,
        actors: supervisor.status(),
        bucket: knowledge.bucket,
      };
    },
  });

  const jsm = await jetstreamManager(nc, { timeout: 1_500 });
  const builtInChecks: ReadinessCheck[] = [
    {
      name: "accepting",
      check: () =>
        shutdownController.signal.aborted ? { ok: false, detail: "shutting down" } : { ok: true },
    },
    { name: "nats", check: () => ({ ok: connected && !nc.isClosed() }) },
    {
      name: "jetstream",
      check: async () => {
        await jsm.getAccountInfo();
        return { ok: true };
      },
    },
    {
      name: "knowledge",
      check: async () => {
        await knowledge.status();
        return { ok: true, detail: knowledge.bucket };
      },
    },
    { name: "actors", check: () => ({ ok: supervisor.isRunning() }) },
  ];

  await definition.start(context);

  checks = () => [...builtInChecks, ...readinessChecks];
  logger.info(
    {
      healthPort: health.port,
      nats: config.NATS_URL,
      prefix: config.PATINOX_PREFIX,
      version: definition.version,
    },
    `${definition.name} started`,
  );

  let stopping: Promise<void> | undefined;
  const shutdown = (reason = "shutdown requested") => {
    stopping ??= (async () => {
      logger.info({ reason, inFlight: inFlight.count }, "shutting down: no new work is taken");
      shutdownController.abort();
      // With NATS unreachable, unsubscribing and draining would wait for a reconnect that
      // may never come: each step gets a bound, and the connection is closed if drain cannot finish.
      await withinMs(service.stop(), 2_000);
      const finished = await inFlight.idle(config.PATINOX_SHUTDOWN_DEADLINE_MS);
      if (!finished) {
        logger.warn(
          { abandoned: inFlight.count, deadlineMs: config.PATINOX_SHUTDOWN_DEADLINE_MS },
          "shutdown deadline passed with work in flight; abandoning it",
        );
        deadlineController.abort();
      }
      for (const hook of shutdownHooks.reverse()) {
        try {
          await hook();
        } catch (error) {
          logger.error({ err: error }, "shutdown hook failed");
        }
      }
      await supervisor.stop();
      if (!(await withinMs(nc.drain(), 5_000))) await nc.close().catch(() => undefined);
      await telemetry.shutdown();
      await health.close();
      logger.info("stopped");
    })();
    return stopping;
  };

  return {
    instanceId,
    healthPort: health.port,
    logger,
    shutdownDeadlineMs: config.PATINOX_SHUTDOWN_DEADLINE_MS,
    shutdown,
  };
}

/**
 * The entry point of a service process: starts it, wires SIGTERM/SIGINT to a graceful
 * shutdown (a second signal exits at once), and exits 78 on bad configuration, 70 when the
 * root supervisor gives up or an error escapes, 0 after a clean shutdown.
 */
export async function runService<S extends z.ZodObject>(
  definition: ServiceDefinition<S>,
): Promise<void> {
  let running: RunningService;
  try {
    running = await startService(definition);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`patinox-${definition.name}: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    process.stderr.write(`patinox-${definition.name}: failed to start: ${describe(error)}\n`);
    process.exit(EXIT_SOFTWARE);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      running.logger.warn({ signal }, "second signal: exiting now");
      process.exit(130);
    }
    // A last resort if some step of the shutdown hangs: the orchestrator would SIGKILL anyway.
    setTimeout(() => process.exit(EXIT_SOFTWARE), running.shutdownDeadlineMs + 10_000).unref();
    void running.shutdown(`received ${signal}`).then(() => process.exit(0));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("unhandledRejection", (reason) => {
    running.logger.fatal({ err: reason }, "unhandled rejection; exiting");
    process.exit(EXIT_SOFTWARE);
  });
}

/** Waits for `work` up to `ms`; true if it settled in time (a rejection counts as settled). */
async function withinMs(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

import type { NatsConnection } from "@nats-io/nats-core";
import type {
  BackoffOptions,
  RestartIntensity,
  Supervisor,
  SupervisorGaveUp,
} from "@patinox/actors";
import type { Subjects } from "@patinox/contracts";
import type { Knowledge } from "@patinox/knowledge";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Environment } from "./config.ts";
import type { EndpointSpec } from "./endpoint.ts";
import type { ReadinessCheck } from "./health-server.ts";
import type { RuntimeConfig } from "./runtime-config.ts";
import type { Telemetry } from "./telemetry.ts";

/** A Patinox service: its identity, its own configuration, and how it builds itself. */
export interface ServiceDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Micro-service name, e.g. `execute`; also the default queue group. */
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** Default of `PATINOX_HEALTH_PORT` for this service. @default 8080 */
  readonly healthPort?: number;
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
  /** Called when the NATS connection closes for good outside shutdown. @default nothing */
  readonly onConnectionClosed?: (error: Error | undefined) => void;
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

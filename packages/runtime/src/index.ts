export type { ConfigIssue, Environment } from "./config.ts";
export { ConfigError, EXIT_CONFIG, env, readConfig } from "./config.ts";
export type { EndpointHost, EndpointSpec, RequestContext } from "./endpoint.ts";
export { addTypedEndpoint, respondWithError } from "./endpoint.ts";
export type {
  CheckResult,
  HealthServer,
  HealthServerOptions,
  ReadinessCheck,
} from "./health-server.ts";
export { runChecks, startHealthServer } from "./health-server.ts";
export { InFlight } from "./in-flight.ts";
export type { Logger, LoggerOptions } from "./logger.ts";
export { createLogger } from "./logger.ts";
export {
  connectNats,
  displayServers,
  logConnectionStatus,
  natsConnectionOptions,
} from "./nats-connection.ts";
export { pause } from "./pause.ts";
export { placeholderActor } from "./placeholder-actor.ts";
export type { NatsConnectionConfig, RuntimeConfig } from "./runtime-config.ts";
export { NatsConnectionConfigSchema, RuntimeConfigSchema } from "./runtime-config.ts";
export { Secret } from "./secret.ts";
export type {
  RunningService,
  ServiceContext,
  ServiceDefinition,
  StartOptions,
} from "./service-definition.ts";
export { EXIT_SOFTWARE, runService, startService } from "./service-host.ts";
export type { Telemetry } from "./telemetry.ts";
export { exporterConfigured, startTelemetry } from "./telemetry.ts";

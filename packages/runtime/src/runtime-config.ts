import { z } from "zod";
import { env } from "./config.ts";

/** The health port of a service that names none of its own. */
export const DEFAULT_HEALTH_PORT = 8080;

/** How to reach and authenticate to NATS: read by the services and by the CLI alike. */
export const NatsConnectionConfigSchema = z.object({
  /** Comma-separated NATS servers. */
  NATS_URL: env.natsServers().default(["nats://127.0.0.1:4222"]),
  /** Path to a `.creds` file (JWT + nkey seed). */
  NATS_CREDS: env.readableFile().optional(),
  /** An nkey seed (`SU…`) for nkey authentication. */
  NATS_NKEY_SEED: env.secret().optional(),
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: env.secret().optional(),
  NATS_TOKEN: env.secret().optional(),
  /** CA certificate (PEM file) to verify the server; turns TLS on. */
  NATS_TLS_CA: env.readableFile().optional(),
  /** Client certificate and key (PEM files) for mutual TLS. */
  NATS_TLS_CERT: env.readableFile().optional(),
  NATS_TLS_KEY: env.readableFile().optional(),
});

/** The parsed NATS connection settings. */
export type NatsConnectionConfig = z.output<typeof NatsConnectionConfigSchema>;

/**
 * The variables every Patinox service reads. Documented with defaults in README.md
 * ("Configuration"); a service adds its own on top with {@link ServiceDefinition.config}.
 */
export const RuntimeConfigSchema = NatsConnectionConfigSchema.extend({
  /** Subject prefix of every Patinox subject. */
  PATINOX_PREFIX: env.subjectPrefix().default("patinox"),
  /** The knowledge bucket. */
  PATINOX_BUCKET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected a bucket name of letters, digits, _ or -" })
    .default("patinox"),
  /** Replicas of the knowledge bucket when a service creates it (3 on a cluster). */
  PATINOX_BUCKET_REPLICAS: env.int(1, 5).default(1),
  /** Replicas of the JetStream streams when a service creates them (3 on a cluster). */
  PATINOX_STREAM_REPLICAS: env.int(1, 5).default(1),
  /** Host the health server binds. */
  PATINOX_HEALTH_HOST: z.string().default("0.0.0.0"),
  /** Health server port; 0 picks a free one (the chosen port is logged). */
  PATINOX_HEALTH_PORT: env.int(0, 65535).default(DEFAULT_HEALTH_PORT),
  /**
   * How long a start may keep retrying while JetStream is not ready (its requests time out, or
   * it says "temporarily unavailable"); NATS itself is waited for without limit. An attempt
   * under way finishes first, and one JetStream request may take 5 s to time out.
   */
  PATINOX_START_TIMEOUT_MS: env.int(0, 3_600_000).default(60_000),
  /** How long in-flight work may take to finish after SIGTERM. */
  PATINOX_SHUTDOWN_DEADLINE_MS: env.int(0, 600_000).default(10_000),
  /** The event loop counts as stalled (`/healthz` 503) after this long without a tick. */
  PATINOX_STALL_THRESHOLD_MS: env.int(100, 600_000).default(5_000),
  /** Instance id; defaults to the pod name (`HOSTNAME`) plus a random suffix. */
  PATINOX_INSTANCE_ID: z.string().max(128).optional(),
  LOG_LEVEL: env
    .oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info"),
});

/** The parsed, frozen runtime configuration. */
export type RuntimeConfig = z.output<typeof RuntimeConfigSchema>;

import { env } from "@patinox/runtime";
import { z } from "zod";

const DAY_MS = 86_400_000;

/**
 * Monitor's own environment variables, parsed once at start together with the runtime's.
 * Documented with defaults in docs/monitor.md ("Configuration").
 */
export const MonitorConfigSchema = z.object({
  /** Length of a metric window. */
  PATINOX_MONITOR_WINDOW_MS: env.int(1_000, DAY_MS).default(60_000),
  /** Windows whose end is older than this are purged (and events that old are dropped). */
  PATINOX_MONITOR_RETENTION_MS: env.int(60_000, 365 * DAY_MS).default(7 * DAY_MS),
  /** How often the leader purges old windows. */
  PATINOX_MONITOR_PURGE_INTERVAL_MS: env.int(1_000, DAY_MS).default(60_000),
  /**
   * Events per pull. The consumer hands out four times this before acks; a fold takes every event
   * that has arrived, so a backlog is folded in batches of up to that.
   */
  PATINOX_MONITOR_BATCH: env.int(1, 10_000).default(1_000),
  /** How long the server waits for an ack before redelivering. */
  PATINOX_MONITOR_ACK_WAIT_MS: env.int(1_000, 3_600_000).default(30_000),
  /** How long the intake lease lasts without renewal (renewed every third of it). */
  PATINOX_MONITOR_LEASE_TTL_MS: env.int(1_000, 600_000).default(15_000),
  /** The durable consumer's name. */
  PATINOX_MONITOR_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected 1-64 letters, digits, _ or -" })
    .default("monitor"),
  /** How long telemetry stays in the stream. */
  PATINOX_TELEMETRY_MAX_AGE_MS: env.int(60_000, 365 * DAY_MS).default(7 * DAY_MS),
  /** Most bytes of telemetry the stream keeps (oldest dropped first); -1 is unlimited. */
  PATINOX_TELEMETRY_MAX_BYTES: env.int(-1, Number.MAX_SAFE_INTEGER).default(1024 ** 3),
  /** Replicas of the telemetry and dead-letter streams when Monitor creates them. */
  PATINOX_STREAM_REPLICAS: env.int(1, 5).default(1),
});

/** Monitor's parsed configuration. */
export type MonitorConfig = z.output<typeof MonitorConfigSchema>;

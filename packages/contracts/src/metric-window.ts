import { z } from "zod";
import { NameToken } from "./name-token.ts";
import { Count, CountMap, Label, SchemaVersion, Timestamp, UsdAmount } from "./primitives.ts";

/** The bucket layout of {@link LatencyHistogram}; a new layout gets a new name. */
export const HISTOGRAM_SCHEMA = "loglinear-v1";

/**
 * A mergeable latency histogram in milliseconds. `buckets` maps a bucket index (decimal) to
 * its count under the `loglinear-v1` layout; merging two histograms adds bucket counts, counts
 * and sums, and takes the smaller `min` and larger `max`. `min` and `max` are 0 while `count`
 * is 0.
 */
export const LatencyHistogram = z.object({
  schema: z.literal(HISTOGRAM_SCHEMA),
  buckets: z.record(z.string().regex(/^-?[0-9]{1,9}$/), Count),
  count: Count,
  sum: z.number().nonnegative(),
  min: z.number().nonnegative(),
  max: z.number().nonnegative(),
});

/** A mergeable latency histogram. */
export type LatencyHistogram = z.output<typeof LatencyHistogram>;

/** Counters of one model in a window. */
export const ModelCounters = z.object({
  calls: Count.default(0),
  errors: Count.default(0),
  timeouts: Count.default(0),
});

/** Counters of one tool in a window. */
export const ToolCounters = z.object({
  calls: Count.default(0),
  errors: Count.default(0),
  timeouts: Count.default(0),
  invalidArgs: Count.default(0),
});

const emptyHistogram = (): LatencyHistogram => ({
  schema: HISTOGRAM_SCHEMA,
  buckets: {},
  count: 0,
  sum: 0,
  min: 0,
  max: 0,
});

/**
 * One agent's telemetry folded over one time window, under
 * `metrics.<agent>.<windowStart>`. Every counter defaults to zero, so
 * `MetricWindow.parse({ v: 1, agent, windowStart, windowMs })` is an empty window, and a record
 * written before a counter existed still reads.
 */
export const MetricWindow = z
  .object({
    v: SchemaVersion,
    agent: NameToken,
    /** Start of the window, epoch milliseconds (also the last token of its key). */
    windowStart: z.int().nonnegative(),
    windowMs: z.int().min(1),
    /** Runs that completed in the window, whatever the status. */
    runs: Count.default(0),
    /** Runs with status `completed`. */
    ok: Count.default(0),
    /** Runs with status `max_steps`. */
    maxSteps: Count.default(0),
    /** Failed or cancelled runs by error code. */
    failedByCode: CountMap.default({}),
    /** Rejections by validator name. */
    rejectedByValidator: CountMap.default({}),
    /** Latency of runs. */
    latency: LatencyHistogram.default(emptyHistogram),
    tokens: z.object({ input: Count.default(0), output: Count.default(0) }).prefault({}),
    costUsd: UsdAmount.default(0),
    /** Model calls by model name. */
    models: z.record(Label, ModelCounters).default({}),
    /** Model calls made on a fallback model. */
    fallbacks: Count.default(0),
    /** Tool calls by tool name. */
    tools: z.record(NameToken, ToolCounters).default({}),
    /** Breaker transitions to `open`. */
    breakerOpens: Count.default(0),
    /** Runs by agent definition version (decimal keys). */
    versions: CountMap.default({}),
    /**
     * Exactly-once bookkeeping: per stream (or per shard), the highest stream sequence already
     * folded into this window. An event at or below it is a redelivery and is skipped; the
     * window and its high-water marks are written together with compare-and-set.
     */
    highWater: z.record(Label, Count).default({}),
    updatedAt: Timestamp.optional(),
  })
  .describe("One agent's telemetry folded over one time window.");

/** One agent's telemetry folded over one time window. */
export type MetricWindow = z.output<typeof MetricWindow>;
/** Counters of one model in a window. */
export type ModelCounters = z.output<typeof ModelCounters>;
/** Counters of one tool in a window. */
export type ToolCounters = z.output<typeof ToolCounters>;

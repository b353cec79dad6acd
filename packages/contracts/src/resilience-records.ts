import { z } from "zod";
import { NameToken } from "./name-token.ts";
import { Count, Label, Ratio, SchemaVersion } from "./primitives.ts";
import { BreakerState } from "./telemetry.ts";

/**
 * A point in time as epoch milliseconds. The resilience records are arithmetic (refills,
 * cool-downs, hour boundaries) done on every request by every replica, so they keep numbers
 * rather than ISO strings.
 */
const EpochMs = z.int().nonnegative();

/** Who holds the half-open probe of a breaker, and until when. */
export const BreakerProbe = z.object({
  /** The instance that claimed the probe (a random id per Execute instance). */
  owner: z.string().min(1).max(128),
  /** When the claim lapses if the owner never reports (it crashed): another may claim then. */
  untilMs: EpochMs,
});

/**
 * The shared circuit breaker of one model at one provider, under
 * `breakers.<provider>.<model>`. Each replica counts its own calls; the one that trips the
 * breaker writes `open` with compare-and-set, every replica watches the key, and after the
 * cool-down exactly one replica claims the half-open probe by compare-and-set.
 */
export const BreakerRecord = z
  .object({
    v: SchemaVersion,
    provider: NameToken,
    /** The model's name as the provider knows it (the key holds a key-safe form of it). */
    model: Label,
    state: z.enum(BreakerState),
    /** When the breaker entered `state`. */
    sinceMs: EpochMs,
    /** While `open`: when the cool-down ends and a probe may be tried. */
    openUntilMs: EpochMs.optional(),
    /** While `half_open`: the probe in flight. */
    probe: BreakerProbe.optional(),
    /** Failure ratio over the rolling window of the replica that tripped it. */
    failureRatio: Ratio.optional(),
    /** Requests in that window. */
    requests: Count.optional(),
    /** Times the breaker has opened since the key was created. */
    trips: Count.default(0),
  })
  .describe("The shared circuit breaker of one model at one provider.");

/** The shared circuit breaker of one model at one provider. */
export type BreakerRecord = z.output<typeof BreakerRecord>;

/**
 * A shared token bucket, under `ratelimits.<agent>.agent` or
 * `ratelimits.<agent>.caller.<caller>`. Replicas take small, short-lived leases of tokens from
 * it with compare-and-set; `tokens` is what is left after the last lease at `updatedAtMs`.
 */
export const RateBucketRecord = z
  .object({
    v: SchemaVersion,
    /** Tokens left at `updatedAtMs` (fractional: the bucket refills continuously). */
    tokens: z.number().nonnegative(),
    updatedAtMs: EpochMs,
    /** The rate the bucket was last written with (a new definition may change it). */
    requestsPerMinute: z.int().min(1),
    burst: z.int().min(1),
  })
  .describe("A shared token bucket (per agent or per caller) that replicas lease tokens from.");

/** A shared token bucket. */
export type RateBucketRecord = z.output<typeof RateBucketRecord>;

/**
 * Tokens (input + output) an agent's model calls used in one hour, under
 * `budgets.<agent>.<hourStart>`; every replica adds its calls with compare-and-set.
 */
export const BudgetRecord = z
  .object({
    v: SchemaVersion,
    agent: NameToken,
    /** Start of the hour, epoch milliseconds (a multiple of 3 600 000). */
    hourStartMs: EpochMs,
    /** Tokens spent in the hour so far, by every replica. */
    tokens: Count,
    updatedAtMs: EpochMs,
  })
  .describe("Tokens an agent spent in one hour, summed by every replica.");

/** Tokens an agent spent in one hour. */
export type BudgetRecord = z.output<typeof BudgetRecord>;

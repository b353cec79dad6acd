import {
  type BreakerPolicy,
  DEFAULT_BREAKER_POLICY,
  DEFAULT_LEASE_POLICY,
  DEFAULT_RETRY_POLICY,
  type LeasePolicy,
  type RetryPolicy,
} from "@patinox/resilience";
import { env } from "@patinox/runtime";
import { z } from "zod";

const positiveMs = (max: number) => z.int().min(1).max(max);

/** `PATINOX_BREAKER`: any subset of the breaker policy; the rest keeps its default. */
const BreakerSettings = z
  .strictObject({
    failureRatio: z.number().gt(0).max(1).default(DEFAULT_BREAKER_POLICY.failureRatio),
    minimumRequests: z.int().min(1).max(1_000_000).default(DEFAULT_BREAKER_POLICY.minimumRequests),
    windowMs: positiveMs(3_600_000).default(DEFAULT_BREAKER_POLICY.windowMs),
    coolDownMs: positiveMs(3_600_000).default(DEFAULT_BREAKER_POLICY.coolDownMs),
    probeTimeoutMs: positiveMs(3_600_000).default(DEFAULT_BREAKER_POLICY.probeTimeoutMs),
  })
  .transform((settings): BreakerPolicy => Object.freeze(settings));

/** `PATINOX_MODEL_RETRY`: how a provider's 429 is retried on the same model. */
const RetrySettings = z
  .strictObject({
    maxAttempts: z.int().min(1).max(10).default(DEFAULT_RETRY_POLICY.maxAttempts),
    baseDelayMs: positiveMs(60_000).default(DEFAULT_RETRY_POLICY.baseDelayMs),
    maxDelayMs: z.int().min(0).max(600_000).default(DEFAULT_RETRY_POLICY.maxDelayMs),
  })
  .transform((settings): RetryPolicy => Object.freeze(settings));

/** `PATINOX_RATE_LEASE`: how many tokens a replica leases from a shared bucket, for how long. */
const LeaseSettings = z
  .strictObject({
    maxTokens: z.int().min(1).max(1_000_000).default(DEFAULT_LEASE_POLICY.maxTokens),
    ttlMs: positiveMs(60_000).default(DEFAULT_LEASE_POLICY.ttlMs),
  })
  .transform((settings): LeasePolicy => Object.freeze(settings));

/**
 * Execute's variables for the guards around the model (documented in the README's
 * "Rate limits, budgets, breakers and retries"), spread into `ExecuteConfigSchema`. Each JSON
 * variable may set any subset of its fields; unset, every field has its default.
 */
export const resilienceConfigShape = {
  /** Circuit breakers: `{ failureRatio, minimumRequests, windowMs, coolDownMs, probeTimeoutMs }`. */
  PATINOX_BREAKER: env
    .json(
      BreakerSettings,
      'a breaker policy, e.g. {"failureRatio":0.5,"minimumRequests":10,"windowMs":30000,"coolDownMs":15000}',
    )
    .default(DEFAULT_BREAKER_POLICY),
  /** Retries of a provider's 429: `{ maxAttempts, baseDelayMs, maxDelayMs }`. */
  PATINOX_MODEL_RETRY: env
    .json(
      RetrySettings,
      'a retry policy, e.g. {"maxAttempts":3,"baseDelayMs":250,"maxDelayMs":5000}',
    )
    .default(DEFAULT_RETRY_POLICY),
  /** Leases of shared rate-limit tokens: `{ maxTokens, ttlMs }`. */
  PATINOX_RATE_LEASE: env
    .json(LeaseSettings, 'a lease policy, e.g. {"maxTokens":1000,"ttlMs":1000}')
    .default(DEFAULT_LEASE_POLICY),
  /** How old a replica's view of an hour's token total may be before a check reads it again. @default 1000 */
  PATINOX_BUDGET_REFRESH_MS: env.int(0, 60_000).default(1_000),
};

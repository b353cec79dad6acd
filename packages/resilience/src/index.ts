/**
 * The guards around the model that every Execute replica shares through the knowledge bucket:
 * token-bucket rate limits (leased a few tokens at a time), hourly token budgets, and circuit
 * breakers per provider and model; plus the retry backoff that honours `Retry-After`. The
 * arithmetic (buckets, windows, the breaker's transitions, backoff) is pure and takes a clock.
 * @packageDocumentation
 */

export type { RetryPolicy } from "./backoff.ts";
export { DEFAULT_RETRY_POLICY, retryDelay } from "./backoff.ts";
export type {
  BreakerPolicy,
  BreakerTarget,
  BreakerVerdict,
  ProbeOutcome,
} from "./breaker-policy.ts";
export {
  DEFAULT_BREAKER_POLICY,
  probeClaimed,
  probeSettled,
  shouldTrip,
  tripped,
  verdict,
} from "./breaker-policy.ts";
export type {
  BreakerPermit,
  BreakerTransition,
  CallOutcome,
  CircuitBreakersOptions,
} from "./circuit-breakers.ts";
export { CircuitBreakers } from "./circuit-breakers.ts";
export type { WallClock } from "./clock.ts";
export { systemClock } from "./clock.ts";
export type { WindowCounts } from "./rolling-window.ts";
export { RollingWindow } from "./rolling-window.ts";
export type {
  LeasePolicy,
  RateDecision,
  SharedRateLimiterOptions,
} from "./shared-rate-limiter.ts";
export { DEFAULT_LEASE_POLICY, leaseSize, SharedRateLimiter } from "./shared-rate-limiter.ts";
export type { BucketLevel, BucketRate, TakeResult } from "./token-bucket.ts";
export {
  fullBucket,
  msUntilToken,
  refill,
  returnTokens,
  takeTokens,
} from "./token-bucket.ts";
export type { SharedTokenBudgetOptions } from "./token-budget.ts";
export { HOUR_MS, hourStart, SharedTokenBudget } from "./token-budget.ts";

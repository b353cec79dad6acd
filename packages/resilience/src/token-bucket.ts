/** A token bucket's rate: `requestsPerMinute` sustained, at most `burst` at once. */
export interface BucketRate {
  readonly requestsPerMinute: number;
  readonly burst: number;
}

/** What a bucket holds at an instant. Tokens are fractional: the bucket refills continuously. */
export interface BucketLevel {
  readonly tokens: number;
  /** Epoch milliseconds. */
  readonly atMs: number;
}

const MS_PER_MINUTE = 60_000;

/** A full bucket at `nowMs`: what a bucket nobody has used yet holds. */
export function fullBucket(rate: BucketRate, nowMs: number): BucketLevel {
  return { tokens: rate.burst, atMs: nowMs };
}

/**
 * The bucket refilled up to `nowMs`, capped at `burst` (also when a new definition lowered
 * it). A clock that went backwards (another replica's clock is behind) adds nothing, and the
 * level keeps its later time so a token is never granted twice for the same interval.
 */
export function refill(level: BucketLevel, rate: BucketRate, nowMs: number): BucketLevel {
  const elapsed = Math.max(0, nowMs - level.atMs);
  const tokens = Math.min(
    rate.burst,
    level.tokens + (elapsed * rate.requestsPerMinute) / MS_PER_MINUTE,
  );
  return { tokens: Math.max(0, tokens), atMs: Math.max(nowMs, level.atMs) };
}

/** The outcome of {@link takeTokens}. */
export interface TakeResult {
  /** Whole tokens granted, from 0 to the number wanted. */
  readonly granted: number;
  /** The bucket after the grant. */
  readonly level: BucketLevel;
}

/**
 * Takes up to `wanted` whole tokens from the refilled bucket (fewer when it holds fewer; none
 * when it holds less than one).
 */
export function takeTokens(
  level: BucketLevel,
  rate: BucketRate,
  wanted: number,
  nowMs: number,
): TakeResult {
  const refilled = refill(level, rate, nowMs);
  const granted = Math.max(0, Math.min(Math.floor(wanted), Math.floor(refilled.tokens)));
  return { granted, level: { tokens: refilled.tokens - granted, atMs: refilled.atMs } };
}

/** Gives unused tokens back (capped at `burst`), after refilling up to `nowMs`. */
export function returnTokens(
  level: BucketLevel,
  rate: BucketRate,
  tokens: number,
  nowMs: number,
): BucketLevel {
  const refilled = refill(level, rate, nowMs);
  return {
    tokens: Math.min(rate.burst, refilled.tokens + Math.max(0, tokens)),
    atMs: refilled.atMs,
  };
}

/** Milliseconds until the bucket holds one whole token; 0 when it already does. */
export function msUntilToken(level: BucketLevel, rate: BucketRate, nowMs: number): number {
  const refilled = refill(level, rate, nowMs);
  if (refilled.tokens >= 1) return 0;
  return Math.ceil(((1 - refilled.tokens) * MS_PER_MINUTE) / rate.requestsPerMinute);
}

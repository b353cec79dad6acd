/** How a call that was told to wait (a provider's 429) is retried. */
export interface RetryPolicy {
  /** Attempts on the same model, the first included. @default 3 */
  readonly maxAttempts: number;
  /** The first backoff when the provider gives no `Retry-After`. @default 250 */
  readonly baseDelayMs: number;
  /**
   * Longest wait before a retry. A provider asking for longer (its `Retry-After`) is not
   * waited for: the next model is tried instead. @default 5000
   */
  readonly maxDelayMs: number;
}

/** The defaults of {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
});

/** Share of a provider's `Retry-After` added as jitter, so waiting replicas do not return in step. */
const RETRY_AFTER_JITTER = 0.1;

/**
 * The wait before retry number `attempt` (1 for the first retry), or `undefined` when the
 * policy says not to retry: attempts used up, or a `Retry-After` beyond `maxDelayMs`.
 *
 * With the provider's `retryAfterMs` the wait is at least that (never earlier than asked),
 * plus up to 10 % jitter; without it, "full jitter" exponential backoff: a uniform draw in
 * `[0, min(maxDelayMs, baseDelayMs · 2^(attempt−1))]`.
 *
 * @param random a uniform draw in [0, 1) (injected by tests)
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > policy.maxDelayMs) return undefined;
    return Math.ceil(retryAfterMs * (1 + RETRY_AFTER_JITTER * random()));
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

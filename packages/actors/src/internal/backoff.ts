/** A fully resolved backoff policy; see `BackoffOptions` for the meaning of each field. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
}

/**
 * Delay before the `attempt`-th consecutive restart (1-based): exponential up to `maxMs`, then
 * shortened by up to `jitter` of itself so children that crashed together do not restart in
 * lock-step.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** (attempt - 1));
  return Math.round(base * (1 - policy.jitter * random()));
}

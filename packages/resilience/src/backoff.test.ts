import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, retryDelay } from "./backoff.ts";

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

describe("retry backoff", () => {
  it("waits at least what Retry-After asks, with at most 10 % jitter", () => {
    expect(retryDelay(policy, 1, 400, () => 0)).toBe(400);
    expect(retryDelay(policy, 1, 400, () => 0.999)).toBe(440);
  });

  it("does not wait for a Retry-After beyond maxDelayMs, nor past the last attempt", () => {
    expect(retryDelay(policy, 1, 1_001, () => 0.5)).toBeUndefined();
    expect(retryDelay(policy, 4, 10, () => 0.5)).toBeUndefined();
    expect(retryDelay(DEFAULT_RETRY_POLICY, 3, undefined)).toBeUndefined();
  });

  it("without Retry-After, draws from a ceiling that doubles per attempt up to maxDelayMs", () => {
    expect(retryDelay(policy, 1, undefined, () => 0.999)).toBe(99);
    expect(retryDelay(policy, 2, undefined, () => 0.999)).toBe(199);
    expect(retryDelay(policy, 3, undefined, () => 0.999)).toBe(399);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const wait = retryDelay(policy, attempt, undefined, () => r) ?? -1;
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(wait).toBeLessThanOrEqual(
            Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)),
          );
        },
      ),
    );
  });
});

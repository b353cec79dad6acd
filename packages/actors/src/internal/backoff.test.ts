import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { backoffDelay } from "./backoff.js";

const policy = fc.record({
  initialMs: fc.integer({ min: 0, max: 10_000 }),
  maxMs: fc.integer({ min: 0, max: 60_000 }),
  factor: fc.double({ min: 1, max: 4, noNaN: true }),
  jitter: fc.double({ min: 0, max: 1, noNaN: true }),
});
const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("backoffDelay", () => {
  test("stays between (1 - jitter) and 1 times the capped exponential delay", () => {
    fc.assert(
      fc.property(policy, fc.integer({ min: 1, max: 60 }), random, (p, attempt, r) => {
        const base = Math.min(p.maxMs, p.initialMs * p.factor ** (attempt - 1));
        const delay = backoffDelay(p, attempt, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * (1 - p.jitter)));
        expect(delay).toBeLessThanOrEqual(Math.ceil(base));
      }),
    );
  });

  test("never shrinks from one attempt to the next without jitter", () => {
    fc.assert(
      fc.property(policy, fc.integer({ min: 1, max: 60 }), (p, attempt) => {
        const steady = { ...p, jitter: 0 };
        const zero = () => 0;
        expect(backoffDelay(steady, attempt + 1, zero)).toBeGreaterThanOrEqual(
          backoffDelay(steady, attempt, zero),
        );
      }),
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leaseSize } from "./shared-rate-limiter.ts";
import { fullBucket, msUntilToken, refill, returnTokens, takeTokens } from "./token-bucket.ts";

const rate = { requestsPerMinute: 60, burst: 10 }; // one token a second

describe("token bucket", () => {
  it("refills continuously at the rate, up to the burst", () => {
    const empty = { tokens: 0, atMs: 1_000 };
    expect(refill(empty, rate, 1_500).tokens).toBeCloseTo(0.5);
    expect(refill(empty, rate, 4_000).tokens).toBeCloseTo(3);
    expect(refill(empty, rate, 60_000).tokens).toBe(10);
  });

  it("grants whole tokens only, and says when the next one is due", () => {
    const taken = takeTokens(fullBucket(rate, 0), rate, 4, 0);
    expect(taken.granted).toBe(4);
    expect(taken.level.tokens).toBe(6);
    const drained = takeTokens(taken.level, rate, 100, 0);
    expect(drained.granted).toBe(6);
    expect(takeTokens(drained.level, rate, 1, 999).granted).toBe(0);
    expect(msUntilToken(drained.level, rate, 250)).toBe(750);
    expect(takeTokens(drained.level, rate, 1, 1_000).granted).toBe(1);
  });

  it("adds nothing when the clock goes backwards, and keeps the later time", () => {
    const level = refill({ tokens: 2, atMs: 10_000 }, rate, 5_000);
    expect(level).toEqual({ tokens: 2, atMs: 10_000 });
  });

  it("caps a bucket whose burst was lowered, and tokens given back", () => {
    expect(refill({ tokens: 50, atMs: 0 }, rate, 0).tokens).toBe(10);
    expect(returnTokens({ tokens: 8, atMs: 0 }, rate, 5, 0).tokens).toBe(10);
  });

  it("never grants more than burst + rate·T over an interval T, whatever the requests", () => {
    fc.assert(
      fc.property(
        fc.record({
          requestsPerMinute: fc.integer({ min: 1, max: 6_000 }),
          burst: fc.integer({ min: 1, max: 200 }),
        }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 5_000 }),
            wanted: fc.integer({ min: 1, max: 20 }),
          }),
          {
            maxLength: 200,
          },
        ),
        (r, requests) => {
          let level = fullBucket(r, 0);
          let now = 0;
          let granted = 0;
          for (const { gap, wanted } of requests) {
            now += gap;
            const taken = takeTokens(level, r, wanted, now);
            expect(taken.granted).toBeLessThanOrEqual(wanted);
            expect(taken.level.tokens).toBeGreaterThanOrEqual(0);
            granted += taken.granted;
            level = taken.level;
          }
          expect(granted).toBeLessThanOrEqual(
            r.burst + (now * r.requestsPerMinute) / 60_000 + 1e-9,
          );
        },
      ),
    );
  });
});

describe("lease size", () => {
  const policy = { maxTokens: 1_000, ttlMs: 1_000 };

  it("is what the bucket refills in a lease's lifetime, at most a tenth of the burst, at least 1", () => {
    expect(leaseSize({ requestsPerMinute: 600, burst: 60 }, policy)).toBe(6);
    expect(leaseSize({ requestsPerMinute: 600, burst: 1_000 }, policy)).toBe(10);
    expect(leaseSize({ requestsPerMinute: 1, burst: 50 }, policy)).toBe(1);
    expect(leaseSize({ requestsPerMinute: 1_000_000, burst: 1_000_000 }, policy)).toBe(1_000);
    expect(leaseSize({ requestsPerMinute: 6_000, burst: 5 }, policy)).toBe(1);
  });
});

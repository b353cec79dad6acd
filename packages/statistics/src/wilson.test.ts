import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StatisticsArgumentError } from "./statistics-argument-error.ts";
import { wilsonInterval } from "./wilson.ts";

// Reference values: scipy 1.17.1,
// `scipy.stats.binomtest(k, n).proportion_ci(confidence_level=c, method="wilson")`.
const CASES: ReadonlyArray<readonly [number, number, number, number, number]> = [
  [81, 263, 0.95, 0.2552885198782742, 0.36620957698280004],
  [0, 10, 0.95, 0, 0.27753279986288926],
  [10, 10, 0.95, 0.7224672001371109, 1],
  [3, 200, 0.95, 0.00511423779325831, 0.04316572879269026],
  [30, 200, 0.99, 0.09627494361144717, 0.22620154848699298],
  [1, 1, 0.9, 0.2698659487840541, 1],
  [50, 1000, 0.95, 0.03813026239274881, 0.06531382024425081],
];

describe("wilsonInterval", () => {
  it.each(CASES)("%d of %d at %d matches scipy", (k, n, confidence, lower, upper) => {
    const interval = wilsonInterval(k, n, confidence);
    expect(interval.lower).toBeCloseTo(lower, 12);
    expect(interval.upper).toBeCloseTo(upper, 12);
    expect(interval.estimate).toBe(k / n);
  });

  it("contains the estimate and stays inside [0, 1]", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 1_000_000 })
          .chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        ([k, n], confidence) => {
          const { lower, upper, estimate } = wilsonInterval(k, n, confidence);
          expect(lower).toBeGreaterThanOrEqual(0);
          expect(upper).toBeLessThanOrEqual(1);
          expect(lower).toBeLessThanOrEqual(estimate + 1e-12);
          expect(upper).toBeGreaterThanOrEqual(estimate - 1e-12);
        },
      ),
    );
  });

  it("narrows as the sample grows", () => {
    const small = wilsonInterval(5, 100);
    const large = wilsonInterval(500, 10_000);
    expect(large.upper - large.lower).toBeLessThan(small.upper - small.lower);
  });

  it.each([
    [1, 0, 0.95],
    [-1, 10, 0.95],
    [11, 10, 0.95],
    [1.5, 10, 0.95],
    [1, 10, 1],
    [1, 10, 0],
  ])("refuses %d of %d at %d", (k, n, c) => {
    expect(() => wilsonInterval(k, n, c)).toThrow(StatisticsArgumentError);
  });
});

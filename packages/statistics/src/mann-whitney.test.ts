import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mannWhitneyGrouped, mannWhitneyU } from "./mann-whitney.ts";
import { StatisticsArgumentError } from "./statistics-argument-error.ts";

// Reference values: scipy 1.17.1, `mannwhitneyu(x, y, method="asymptotic", alternative=…)`
// (tie correction and continuity correction on, its defaults).
describe("mannWhitneyU", () => {
  it("matches scipy on the documentation example", () => {
    const test = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(test.u).toBe(17);
    expect(test.pValue).toBeCloseTo(0.055673443266570206, 12);
  });

  it("matches scipy with ties", () => {
    const x = [1, 2, 2, 3, 3, 3, 4, 5, 5, 9];
    const y = [2, 3, 3, 4, 4, 6, 6, 7, 8, 8, 10];
    const greater = mannWhitneyU(y, x);
    expect(greater.u).toBe(79);
    expect(greater.pValue).toBeCloseTo(0.04728863339284115, 12);
    const less = mannWhitneyU(x, y);
    expect(less.u).toBe(31);
    expect(less.pValue).toBeGreaterThan(0.9);
  });

  it("gives the same answer for grouped observations as for the raw samples", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 60 }),
        (a, b) => {
          const raw = mannWhitneyU(a, b);
          const counts = new Map<number, { first: number; second: number }>();
          for (const v of a)
            counts.set(v, {
              first: (counts.get(v)?.first ?? 0) + 1,
              second: counts.get(v)?.second ?? 0,
            });
          for (const v of b)
            counts.set(v, {
              first: counts.get(v)?.first ?? 0,
              second: (counts.get(v)?.second ?? 0) + 1,
            });
          const grouped = mannWhitneyGrouped([...counts].map(([value, c]) => ({ value, ...c })));
          expect(grouped.u).toBeCloseTo(raw.u, 9);
          expect(grouped.pValue).toBeCloseTo(raw.pValue, 12);
          // U1 + U2 = n1·n2
          expect(raw.u + mannWhitneyU(b, a).u).toBeCloseTo(a.length * b.length, 9);
        },
      ),
    );
  });

  it("finds nothing when every observation ties", () => {
    const test = mannWhitneyU([5, 5, 5], [5, 5]);
    expect(test.pValue).toBe(1);
    expect(test.effect).toBe(0.5);
  });

  it("refuses an empty sample", () => {
    expect(() => mannWhitneyU([], [1])).toThrow(StatisticsArgumentError);
    expect(() => mannWhitneyGrouped([{ value: 1, first: -1, second: 2 }])).toThrow(
      StatisticsArgumentError,
    );
  });
});

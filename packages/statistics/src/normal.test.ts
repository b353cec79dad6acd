import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalCdf, normalQuantile, normalSf } from "./normal.ts";

// Reference values: scipy 1.17.1, `scipy.stats.norm.cdf(x)`, `norm.sf(x)` and `norm.ppf(p)`.
const CDF: ReadonlyArray<readonly [number, number]> = [
  [-8, 6.22096057427174e-16],
  [-5, 2.866515718791933e-7],
  [-3, 0.0013498980316300933],
  [-1.96, 0.024997895148220435],
  [-1, 0.15865525393145707],
  [0, 0.5],
  [0.5, 0.6914624612740131],
  [1, 0.8413447460685429],
  [2.5, 0.9937903346742238],
  [3, 0.9986501019683699],
  [6, 0.9999999990134123],
];
const SF: ReadonlyArray<readonly [number, number]> = [
  [1.6448536269514722, 0.050000000000000044],
  [2.5, 0.006209665325776132],
  [6, 9.865876450376946e-10],
  [9, 1.1285884059538324e-19],
  [-1, 0.8413447460685429],
];
const PPF: ReadonlyArray<readonly [number, number]> = [
  [1e-12, -7.034483825301131],
  [1e-6, -4.753424308822899],
  [0.001, -3.090232306167813],
  [0.02425, -1.972961051311885],
  [0.05, -1.6448536269514729],
  [0.1, -1.2815515655446004],
  [0.5, 0],
  [0.8, 0.8416212335729143],
  [0.95, 1.6448536269514722],
  [0.975, 1.959963984540054],
  [0.99, 2.3263478740408408],
  [0.999999, 4.753424308817087],
];

function expectRelative(actual: number, expected: number, tolerance: number): void {
  if (expected === 0) expect(Math.abs(actual)).toBeLessThan(tolerance);
  else expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(tolerance);
}

describe("normal distribution", () => {
  it.each(CDF)("cdf(%d) matches scipy", (x, expected) => {
    expectRelative(normalCdf(x), expected, 1e-13);
  });

  it.each(SF)("upper tail sf(%d) matches scipy, far into the tail", (x, expected) => {
    expectRelative(normalSf(x), expected, 1e-13);
  });

  it.each(PPF)("quantile(%d) matches scipy", (p, expected) => {
    expectRelative(normalQuantile(p), expected, 1e-12);
  });

  it("quantile has the right limits and refuses what is no probability", () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(-0.1)).toBeNaN();
    expect(normalQuantile(1.1)).toBeNaN();
    expect(normalQuantile(Number.NaN)).toBeNaN();
    expect(normalCdf(Number.NaN)).toBeNaN();
  });

  it("quantile inverts cdf (above 5, 1 − p has too few digits to invert)", () => {
    fc.assert(
      fc.property(fc.double({ min: -35, max: 5, noNaN: true }), (x) => {
        const back = normalQuantile(normalCdf(x));
        expect(Math.abs(back - x)).toBeLessThan(1e-9 * Math.max(1, Math.abs(x)));
      }),
    );
  });

  it("cdf is monotone and cdf(x) + sf(x) = 1", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -40, max: 40, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (x, step) => {
          expect(normalCdf(x + step)).toBeGreaterThanOrEqual(normalCdf(x));
          expect(Math.abs(normalCdf(x) + normalSf(x) - 1)).toBeLessThan(1e-15);
        },
      ),
    );
  });
});

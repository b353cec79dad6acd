import { describe, expect, it } from "vitest";
import { StatisticsArgumentError } from "./statistics-argument-error.ts";
import { twoProportionZTest } from "./two-proportion.ts";

// Reference values: scipy 1.17.1. `chi2_contingency([[x1, n1-x1], [x2, n2-x2]],
// correction=False)` gives χ² = z² (R's prop.test(correct=FALSE)); z takes the sign of
// p1 − p2 and the one-sided p-value is `norm.sf(z)`.
const CASES: ReadonlyArray<readonly [number, number, number, number, number, number]> = [
  [30, 200, 10, 200, 3.3333333333333335, 0.0004290603331968372],
  [45, 500, 30, 520, 1.9762694719195117, 0.024062132623458184],
  [5, 100, 5, 100, 0, 0.5],
  [12, 80, 3, 900, 10.240034542256074, 6.559476197010113e-25],
];

describe("twoProportionZTest", () => {
  it.each(CASES)("%d/%d against %d/%d matches scipy", (x1, n1, x2, n2, z, p) => {
    const test = twoProportionZTest({ successes: x1, trials: n1 }, { successes: x2, trials: n2 });
    expect(test.z).toBeCloseTo(z, 10);
    expect(Math.abs(test.pValue - p) / p).toBeLessThan(1e-9);
  });

  // scipy: `chi2_contingency(…, correction=True)`, Yates' correction.
  it.each([
    [30, 200, 10, 200, 3.1666666666666665, 0.0007709847844699757],
    [45, 500, 30, 520, 1.85628168255297, 0.03170670929635801],
    [12, 80, 3, 900, 9.76488142429154, 7.964912220340266e-23],
    [13, 240, 24, 1200, 2.8304151681475407, 0.0023243818648171883],
  ] as const)(
    "with continuity correction, %d/%d against %d/%d matches scipy",
    (x1, n1, x2, n2, z, p) => {
      const test = twoProportionZTest(
        { successes: x1, trials: n1 },
        { successes: x2, trials: n2 },
        { continuityCorrection: true },
      );
      expect(test.z).toBeCloseTo(z, 10);
      expect(Math.abs(test.pValue - p) / p).toBeLessThan(1e-9);
    },
  );

  it("is one-sided: a lower first proportion has a p-value above one half", () => {
    const test = twoProportionZTest({ successes: 10, trials: 200 }, { successes: 30, trials: 200 });
    expect(test.z).toBeCloseTo(-3.3333333333333335, 10);
    expect(test.pValue).toBeGreaterThan(0.99);
  });

  it("finds no evidence when both groups are all failures", () => {
    const test = twoProportionZTest({ successes: 0, trials: 50 }, { successes: 0, trials: 500 });
    expect(test.z).toBe(0);
    expect(test.pValue).toBe(0.5);
  });

  it("refuses invalid counts", () => {
    expect(() =>
      twoProportionZTest({ successes: 1, trials: 0 }, { successes: 0, trials: 1 }),
    ).toThrow(StatisticsArgumentError);
  });
});

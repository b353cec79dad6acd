import { describe, expect, it } from "vitest";
import { binomialDispersion } from "./dispersion.ts";

// Reference: scipy 1.17.1, `chi2_contingency(table, correction=False).statistic / (k - 1)`.
describe("binomialDispersion", () => {
  it.each([
    [
      [
        [3, 100],
        [5, 120],
        [1, 90],
        [8, 110],
      ],
      1.743722438219592,
    ],
    [
      [
        [2, 100],
        [2, 100],
      ],
      0,
    ],
    [
      [
        [10, 50],
        [1, 60],
        [0, 40],
      ],
      8.902877697841728,
    ],
  ] as const)("%j matches scipy", (rows, phi) => {
    const samples = rows.map(([successes, trials]) => ({ successes, trials }));
    expect(binomialDispersion(samples)).toBeCloseTo(phi, 12);
  });

  it("is 1 when it cannot be estimated", () => {
    expect(binomialDispersion([{ successes: 3, trials: 10 }])).toBe(1);
    expect(
      binomialDispersion([
        { successes: 0, trials: 10 },
        { successes: 0, trials: 20 },
      ]),
    ).toBe(1);
    expect(
      binomialDispersion([
        { successes: 3, trials: 10 },
        { successes: 0, trials: 0 },
      ]),
    ).toBe(1);
  });
});

import { describe, expect, it } from "vitest";
import { median, quantile } from "./latency-summary.ts";

describe("quantile", () => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);

  it("takes the nearest rank: p50 of 1..100 is 50, p99 is 99, p100 is 100", () => {
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile(sorted, 1)).toBe(100);
    expect(quantile(sorted, 0)).toBe(1);
  });

  it("is NaN for no values", () => {
    expect(quantile(new Float64Array(), 0.5)).toBeNaN();
  });
});

describe("median", () => {
  it("sorts numerically, not as strings", () => {
    expect(median([100, 9, 20])).toBe(20);
  });
});

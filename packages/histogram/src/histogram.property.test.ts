import { LatencyHistogram } from "@patinox/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  emptyHistogram,
  mean,
  mergeHistograms,
  quantile,
  recordValue,
  recordValues,
} from "./histogram.ts";
import { bucketKey, bucketValue, RELATIVE_ACCURACY, ZERO_BUCKET_KEY } from "./layout.ts";

/** Latencies as Execute reports them (integer ms) and fractional ones, from 0 to ~3 hours. */
const latency = fc.oneof(
  fc.integer({ min: 0, max: 10_000_000 }),
  fc.double({ min: 0.001, max: 10_000_000, noNaN: true }),
  fc.constant(0),
);
const latencies = fc.array(latency, { minLength: 1, maxLength: 400 });
const integerLatencies = fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 200 });

const exactAt = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
};

describe("quantile", () => {
  it("p50, p95 and p99 are within 2% (1% by construction) of the exact value", () => {
    fc.assert(
      fc.property(latencies, (values) => {
        const h = recordValues(emptyHistogram(), values);
        for (const q of [0, 0.5, 0.95, 0.99, 1]) {
          const exact = exactAt(values, q);
          const estimate = quantile(h, q) as number;
          expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(RELATIVE_ACCURACY * exact + 1e-9);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("holds for any quantile, not only the usual ones", () => {
    fc.assert(
      fc.property(latencies, fc.double({ min: 0, max: 1, noNaN: true }), (values, q) => {
        const exact = exactAt(values, q);
        const estimate = quantile(recordValues(emptyHistogram(), values), q) as number;
        expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(0.02 * exact + 1e-9);
      }),
    );
  });

  it("is undefined for an empty histogram and refuses q outside [0, 1]", () => {
    expect(quantile(emptyHistogram(), 0.5)).toBeUndefined();
    expect(() => quantile(recordValue(emptyHistogram(), 5), 1.5)).toThrow(RangeError);
    expect(() => quantile(recordValue(emptyHistogram(), 5), Number.NaN)).toThrow(RangeError);
  });

  it("is monotonic in q", () => {
    fc.assert(
      fc.property(latencies, (values) => {
        const h = recordValues(emptyHistogram(), values);
        const qs = [0, 0.1, 0.5, 0.9, 0.95, 0.99, 1].map((q) => quantile(h, q) as number);
        for (let i = 1; i < qs.length; i++)
          expect(qs[i]).toBeGreaterThanOrEqual(qs[i - 1] as number);
      }),
    );
  });
});

describe("mergeHistograms", () => {
  it("merging the histograms of two parts equals the histogram of the whole", () => {
    fc.assert(
      fc.property(integerLatencies, integerLatencies, (a, b) => {
        const merged = mergeHistograms(
          recordValues(emptyHistogram(), a),
          recordValues(emptyHistogram(), b),
        );
        expect(merged).toEqual(recordValues(emptyHistogram(), [...a, ...b]));
      }),
    );
  });

  it("is commutative and associative, with the empty histogram as identity", () => {
    fc.assert(
      fc.property(integerLatencies, integerLatencies, integerLatencies, (a, b, c) => {
        const [ha, hb, hc] = [a, b, c].map((v) => recordValues(emptyHistogram(), v)) as [
          LatencyHistogram,
          LatencyHistogram,
          LatencyHistogram,
        ];
        expect(mergeHistograms(ha, hb)).toEqual(mergeHistograms(hb, ha));
        expect(mergeHistograms(mergeHistograms(ha, hb), hc)).toEqual(
          mergeHistograms(ha, mergeHistograms(hb, hc)),
        );
        expect(mergeHistograms(ha, emptyHistogram())).toEqual(ha);
        expect(mergeHistograms(emptyHistogram(), ha)).toEqual(ha);
      }),
    );
  });

  it("quantiles of a merge stay within 2% of the exact quantiles of the union", () => {
    fc.assert(
      fc.property(latencies, latencies, (a, b) => {
        const merged = mergeHistograms(
          recordValues(emptyHistogram(), a),
          recordValues(emptyHistogram(), b),
        );
        for (const q of [0.5, 0.95, 0.99]) {
          const exact = exactAt([...a, ...b], q);
          expect(Math.abs((quantile(merged, q) as number) - exact)).toBeLessThanOrEqual(
            0.02 * exact + 1e-9,
          );
        }
      }),
    );
  });
});

describe("record", () => {
  it("never changes its input and always yields a valid LatencyHistogram record", () => {
    fc.assert(
      fc.property(integerLatencies, latency, (values, extra) => {
        const h = recordValues(emptyHistogram(), values);
        const snapshot = structuredClone(h);
        const next = recordValue(Object.freeze(h), extra);
        expect(h).toEqual(snapshot);
        expect(next.count).toBe(h.count + 1);
        expect(LatencyHistogram.parse(next)).toEqual(next);
        expect(mean(next)).toBeCloseTo(next.sum / next.count);
      }),
    );
  });

  it("keeps min and max exact, and 0 in the zero bucket", () => {
    const h = recordValues(emptyHistogram(), [0, 7, 1234, 0]);
    expect(h).toMatchObject({ count: 4, sum: 1241, min: 0, max: 1234 });
    expect(h.buckets[ZERO_BUCKET_KEY]).toBe(2);
    expect(quantile(h, 0)).toBe(0);
    expect(quantile(h, 1)).toBe(1234);
  });

  it("refuses negative and non-finite values", () => {
    expect(() => recordValue(emptyHistogram(), -1)).toThrow(RangeError);
    expect(() => recordValue(emptyHistogram(), Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => recordValue(emptyHistogram(), Number.NaN)).toThrow(RangeError);
  });

  it("a bucket's value is within the relative accuracy of anything in it", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1e12, noNaN: true }), (ms) => {
        const v = bucketValue(bucketKey(ms));
        expect(Math.abs(v - ms)).toBeLessThanOrEqual(RELATIVE_ACCURACY * ms * (1 + 1e-9));
      }),
    );
  });
});

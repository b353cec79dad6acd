import { HISTOGRAM_SCHEMA, type LatencyHistogram } from "@patinox/contracts";
import { bucketKey, bucketValue } from "./layout.ts";

/** A histogram with nothing recorded. */
export function emptyHistogram(): LatencyHistogram {
  return { schema: HISTOGRAM_SCHEMA, buckets: {}, count: 0, sum: 0, min: 0, max: 0 };
}

/**
 * A new histogram holding `h`'s values and `ms`.
 * @throws RangeError when `ms` is negative or not finite.
 */
export function recordValue(h: LatencyHistogram, ms: number): LatencyHistogram {
  return recordValues(h, [ms]);
}

/**
 * A new histogram holding `h`'s values and every value of `values`; one copy however many
 * values, so folding a batch stays cheap.
 * @throws RangeError when a value is negative or not finite.
 */
export function recordValues(h: LatencyHistogram, values: Iterable<number>): LatencyHistogram {
  const buckets: Record<string, number> = { ...h.buckets };
  let { count, sum, min, max } = h;
  for (const ms of values) {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`a latency must be a finite, non-negative number of ms, got ${ms}`);
    }
    const key = bucketKey(ms);
    buckets[key] = (buckets[key] ?? 0) + 1;
    min = count === 0 ? ms : Math.min(min, ms);
    max = count === 0 ? ms : Math.max(max, ms);
    count += 1;
    sum += ms;
  }
  return { schema: h.schema, buckets, count, sum, min, max };
}

/**
 * The histogram of the values of both: bucket counts, counts and sums added, the smaller `min`
 * and the larger `max`. Commutative and associative, with {@link emptyHistogram} as identity.
 */
export function mergeHistograms(a: LatencyHistogram, b: LatencyHistogram): LatencyHistogram {
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  const buckets: Record<string, number> = { ...a.buckets };
  for (const [key, n] of Object.entries(b.buckets)) buckets[key] = (buckets[key] ?? 0) + n;
  return {
    schema: a.schema,
    buckets,
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

/**
 * The value at quantile `q` (0 ≤ q ≤ 1) — `0.95` for p95 — within 1% of the exact value at
 * rank `⌊q·(count − 1)⌋` of the recorded values (DDSketch's definition), and never outside the
 * recorded `min` and `max` (which `q` 0 and 1 return exactly). `undefined` when nothing is
 * recorded.
 * @throws RangeError when `q` is outside [0, 1].
 */
export function quantile(h: LatencyHistogram, q: number): number | undefined {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`a quantile must be within [0, 1], got ${q}`);
  if (h.count === 0) return undefined;
  // The extremes are known exactly; no need to stand them for a bucket.
  if (q === 0) return h.min;
  if (q === 1) return h.max;
  const rank = q * (h.count - 1);
  const keys = Object.keys(h.buckets)
    .map((key) => ({ key, index: Number(key) }))
    .sort((x, y) => x.index - y.index);
  let seen = 0;
  for (const { key } of keys) {
    seen += h.buckets[key] ?? 0;
    if (seen > rank) return clamp(bucketValue(key), h.min, h.max);
  }
  return h.max; // only reached if the bucket counts add up to less than `count`
}

/** The mean of the recorded values; `undefined` when nothing is recorded. */
export function mean(h: LatencyHistogram): number | undefined {
  return h.count === 0 ? undefined : h.sum / h.count;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

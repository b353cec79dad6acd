import type { LatencyHistogram } from "@patinox/contracts";
import { bucketValue } from "@patinox/histogram";

/** A histogram's buckets as (index, value, count), in increasing order. */
export interface Bucket {
  readonly index: number;
  readonly value: number;
  readonly count: number;
}

/** The buckets of `h`, lowest first. */
export function bucketsOf(h: LatencyHistogram): Bucket[] {
  return Object.entries(h.buckets)
    .map(([key, count]) => ({ index: Number(key), value: bucketValue(key), count }))
    .filter((b) => b.count > 0)
    .sort((a, b) => a.index - b.index);
}

/** Observations in buckets whose index is above `index`. */
export function countAbove(buckets: readonly Bucket[], index: number): number {
  let n = 0;
  for (const b of buckets) if (b.index > index) n += b.count;
  return n;
}

/** Observations in buckets whose value (their representative, within 1%) exceeds `ms`. */
export function countSlowerThan(buckets: readonly Bucket[], ms: number): number {
  let n = 0;
  for (const b of buckets) if (b.value > ms) n += b.count;
  return n;
}

/**
 * The index of the bucket holding quantile `q` under the same rank rule as the histogram
 * package's `quantile` (rank ⌊q·(count − 1)⌋), or undefined when empty.
 */
export function quantileBucket(buckets: readonly Bucket[], q: number): number | undefined {
  const total = buckets.reduce((n, b) => n + b.count, 0);
  if (total === 0) return undefined;
  const rank = q * (total - 1);
  let seen = 0;
  for (const b of buckets) {
    seen += b.count;
    if (seen > rank) return b.index;
  }
  return buckets.at(-1)?.index;
}

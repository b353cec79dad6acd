import { DDSketch } from "@datadog/sketches-js";

/**
 * The relative accuracy of the `loglinear-v1` layout: every value a bucket stands for is within
 * 1% of every value recorded in it, so a quantile is within 1% of the exact one (the issue's
 * bound is 2%).
 */
export const RELATIVE_ACCURACY = 0.01;

/**
 * Values below this many milliseconds (including 0) are counted in the zero bucket: a latency
 * under a microsecond is below what a run's clock measures.
 */
export const MIN_TRACKED_MS = 0.001;

/**
 * The key of the zero bucket. The logarithmic keys of tracked values lie between about -350
 * (1 µs) and 1,800 (10^15 ms), so this one can never collide with them.
 */
export const ZERO_BUCKET_KEY = "-999999999";

/**
 * The `loglinear-v1` bucket layout: DDSketch's logarithmic mapping (Datadog's
 * `@datadog/sketches-js`, `LogarithmicMapping`) at {@link RELATIVE_ACCURACY}, offset 0 — bucket
 * `k` holds the values in `(γ^(k-1), γ^k]` with `γ = (1 + α) / (1 − α)`. The same mapping in
 * another DDSketch implementation (Go, Java, Python) reads these buckets unchanged. The mapping is
 * taken from a `DDSketch` because the package's entry point exports only the sketch (its
 * default mapping is the logarithmic one).
 */
const mapping = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }).mapping;

/** The bucket key (decimal) of a value in milliseconds under `loglinear-v1`. */
export function bucketKey(ms: number): string {
  return ms < MIN_TRACKED_MS ? ZERO_BUCKET_KEY : String(mapping.key(ms));
}

/** The value a bucket stands for (within {@link RELATIVE_ACCURACY} of everything in it). */
export function bucketValue(key: string): number {
  return key === ZERO_BUCKET_KEY ? 0 : mapping.value(Number(key));
}

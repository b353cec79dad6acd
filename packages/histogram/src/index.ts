/**
 * Mergeable latency histograms over the contracts' `LatencyHistogram` (`loglinear-v1`):
 * pure, immutable functions to record values, merge histograms and read quantiles within 1%
 * relative error.
 * @packageDocumentation
 */

export {
  emptyHistogram,
  mean,
  mergeHistograms,
  quantile,
  recordValue,
  recordValues,
} from "./histogram.ts";
export {
  bucketKey,
  bucketValue,
  MIN_TRACKED_MS,
  RELATIVE_ACCURACY,
  ZERO_BUCKET_KEY,
} from "./layout.ts";

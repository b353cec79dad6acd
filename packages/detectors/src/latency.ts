import { FindingKind } from "@patinox/contracts";
import { quantile } from "@patinox/histogram";
import {
  binomialDispersion,
  mannWhitneyGrouped,
  normalSf,
  twoProportionZTest,
} from "@patinox/statistics";
import type { DetectorInput } from "./detector-input.ts";
import type { DetectorSettings } from "./detector-settings.ts";
import {
  bucketsOf,
  countAbove,
  countSlowerThan,
  quantileBucket,
} from "./internal/histogram-buckets.ts";
import { outcomeBase } from "./internal/outcome-base.ts";
import { testCeiling } from "./internal/rate-ceiling.ts";
import { severityOf } from "./internal/severity.ts";
import { type DetectorOutcome, tooFew, Verdict } from "./outcome.ts";
import type { Spans } from "./window-span.ts";

const METRIC = "p95_latency_ms";
/** p95 exceeds a value exactly when more than 5% of runs are slower than it. */
const TAIL = 0.05;

/**
 * p95 latency above the SLO, distribution-free: p95 > SLO exactly when more than 5% of runs
 * are slower than the SLO, so the share of runs slower than `slo.p95LatencyMs` is tested
 * against 5% with the one-sided Wilson lower bound. Bucket resolution is 1%, so a run within
 * 1% of the SLO may count on either side.
 */
export function latencySlo(
  input: DetectorInput,
  spans: Spans,
  settings: DetectorSettings["latency_slo"],
): DetectorOutcome {
  const base = outcomeBase(FindingKind.LatencySlo, METRIC, input, spans.current);
  const h = spans.current.latency;
  const few = tooFew(base, h.count, settings.minRuns, "runs", "minRuns");
  if (few) return few;
  const slower = countSlowerThan(bucketsOf(h), input.slo.p95LatencyMs);
  const test = testCeiling(slower, h.count, TAIL, settings.confidence);
  const p95 = quantile(h, 0.95) ?? 0;
  const evidence = {
    numbers: {
      runs: h.count,
      p95_latency_ms: p95,
      slo_p95_latency_ms: input.slo.p95LatencyMs,
      slower_than_slo: slower,
      slower_share: test.rate,
      wilson_lower: test.lower,
    },
    windows: spans.current.windows,
    test: "wilson-exceedance",
  };
  if (!test.exceeds) return { ...base, verdict: Verdict.Healthy, evidence };
  return {
    ...base,
    verdict: Verdict.Finding,
    severity: severityOf(p95, input.slo.p95LatencyMs, settings.criticalFactor),
    confidence: test.confidence,
    evidence,
  };
}

/**
 * p95 latency against the agent's own baseline. The test: the share of current runs slower
 * than the baseline's p95 bucket against the baseline's own share (a two-proportion z-test;
 * about 5% by construction), which is what "p95 went up" means without raw samples. The
 * effect: current p95 ÷ baseline p95 ≥ `minRatio` and at least `minIncreaseMs` more. The
 * Mann–Whitney U of the two histograms (buckets as ties, Kayenta's test) is reported as
 * evidence of a shift of the whole distribution, not required.
 */
export function latencyBaseline(
  input: DetectorInput,
  spans: Spans,
  settings: DetectorSettings["latency_baseline"],
): DetectorOutcome {
  const base = outcomeBase(FindingKind.LatencyBaseline, METRIC, input, spans.current);
  const current = spans.current.latency;
  const baseline = spans.baseline.latency;
  const fewRuns = tooFew(base, current.count, settings.minRuns, "runs", "minRuns");
  if (fewRuns) return fewRuns;
  const fewBaseline = tooFew(
    base,
    baseline.count,
    settings.minBaselineRuns,
    "baseline runs",
    "minBaselineRuns",
  );
  if (fewBaseline) return fewBaseline;
  const currentBuckets = bucketsOf(current);
  const baselineBuckets = bucketsOf(baseline);
  const threshold = quantileBucket(baselineBuckets, 0.95) ?? 0;
  const test = twoProportionZTest(
    { successes: countAbove(currentBuckets, threshold), trials: current.count },
    { successes: countAbove(baselineBuckets, threshold), trials: baseline.count },
    // Few expected events in the current windows: Yates keeps the normal tail honest.
    { continuityCorrection: true },
  );
  // The baseline's own window-to-window drift of that share widens the test (quasi-binomial).
  const dispersion = Math.max(
    1,
    binomialDispersion(
      spans.baseline.records.map((w) => ({
        successes: countAbove(bucketsOf(w.latency), threshold),
        trials: w.latency.count,
      })),
    ),
  );
  const z = test.z / Math.sqrt(dispersion);
  const pValue = normalSf(z);
  const p95 = quantile(current, 0.95) ?? 0;
  const baselineP95 = quantile(baseline, 0.95) ?? 0;
  const ratio = baselineP95 > 0 ? p95 / baselineP95 : p95 > 0 ? p95 : 1;
  const shift = mannWhitneyGrouped(mergeBuckets(currentBuckets, baselineBuckets));
  const evidence = {
    numbers: {
      runs: current.count,
      p95_latency_ms: p95,
      baseline_runs: baseline.count,
      baseline_p95_latency_ms: baselineP95,
      ratio,
      above_baseline_p95_share: test.p1,
      baseline_above_p95_share: test.p2,
      dispersion,
      z,
      p_value: pValue,
      mann_whitney_u: shift.u,
      mann_whitney_effect: shift.effect,
      mann_whitney_p_value: shift.pValue,
    },
    windows: spans.current.windows,
    baselineWindows: spans.baseline.windows,
    test: "two-proportion-z-exceedance",
  };
  const significant = pValue < 1 - settings.confidence;
  const large = ratio >= settings.minRatio && p95 - baselineP95 >= settings.minIncreaseMs;
  if (!(significant && large)) return { ...base, verdict: Verdict.Healthy, evidence };
  return {
    ...base,
    verdict: Verdict.Finding,
    severity: severityOf(ratio, 1, settings.criticalRatio),
    confidence: 1 - pValue,
    evidence,
  };
}

function mergeBuckets(
  first: readonly { index: number; count: number }[],
  second: readonly { index: number; count: number }[],
) {
  return [
    ...first.map((b) => ({ value: b.index, first: b.count, second: 0 })),
    ...second.map((b) => ({ value: b.index, first: 0, second: b.count })),
  ];
}

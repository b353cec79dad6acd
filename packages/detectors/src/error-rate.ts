import { FindingKind } from "@patinox/contracts";
import { binomialDispersion, normalSf, twoProportionZTest } from "@patinox/statistics";
import type { DetectorInput } from "./detector-input.ts";
import type { DetectorSettings } from "./detector-settings.ts";
import { outcomeBase } from "./internal/outcome-base.ts";
import { testCeiling } from "./internal/rate-ceiling.ts";
import { severityOf } from "./internal/severity.ts";
import { type DetectorOutcome, tooFew, Verdict } from "./outcome.ts";
import { failedRuns, type Spans } from "./window-span.ts";

const METRIC = "error_rate";

/**
 * Error rate above the SLO: the one-sided Wilson lower bound of the current windows' error
 * rate exceeds `slo.errorRate`, with at least `minRuns` runs.
 */
export function errorRateSlo(
  input: DetectorInput,
  spans: Spans,
  settings: DetectorSettings["error_rate_slo"],
): DetectorOutcome {
  const base = outcomeBase(FindingKind.ErrorRateSlo, METRIC, input, spans.current);
  const { runs } = spans.current;
  const few = tooFew(base, runs, settings.minRuns, "runs", "minRuns");
  if (few) return few;
  const failed = Math.min(runs, failedRuns(spans.current, settings.ignoredCodes));
  const test = testCeiling(failed, runs, input.slo.errorRate, settings.confidence);
  const evidence = {
    numbers: {
      runs,
      failed,
      error_rate: test.rate,
      wilson_lower: test.lower,
      slo_error_rate: input.slo.errorRate,
      confidence_level: settings.confidence,
    },
    windows: spans.current.windows,
    test: "wilson",
  };
  if (!test.exceeds) return { ...base, verdict: Verdict.Healthy, evidence };
  return {
    ...base,
    verdict: Verdict.Finding,
    severity: severityOf(test.rate, input.slo.errorRate, settings.criticalFactor),
    confidence: test.confidence,
    evidence,
  };
}

/**
 * Error rate against the agent's own trailing baseline: a one-sided two-proportion z-test at
 * `confidence`, and an effect at least `minRatio` × the baseline rate and `minIncrease` above
 * it, so a statistically significant but harmless wobble of a busy agent raises nothing.
 */
export function errorRateBaseline(
  input: DetectorInput,
  spans: Spans,
  settings: DetectorSettings["error_rate_baseline"],
): DetectorOutcome {
  const base = outcomeBase(FindingKind.ErrorRateBaseline, METRIC, input, spans.current);
  const { current, baseline } = spans;
  const fewRuns = tooFew(base, current.runs, settings.minRuns, "runs", "minRuns");
  if (fewRuns) return fewRuns;
  const fewBaseline = tooFew(
    base,
    baseline.runs,
    settings.minBaselineRuns,
    "baseline runs",
    "minBaselineRuns",
  );
  if (fewBaseline) return fewBaseline;
  const failed = Math.min(current.runs, failedRuns(current, settings.ignoredCodes));
  const baselineFailed = Math.min(baseline.runs, failedRuns(baseline, settings.ignoredCodes));
  const test = twoProportionZTest(
    { successes: failed, trials: current.runs },
    { successes: baselineFailed, trials: baseline.runs },
    // Few expected events in the current windows: Yates keeps the normal tail honest.
    { continuityCorrection: true },
  );
  // Error rates drift from window to window more than a binomial expects; the baseline's own
  // window-to-window dispersion widens the test by √φ (quasi-binomial), never narrows it.
  const dispersion = Math.max(
    1,
    binomialDispersion(
      baseline.records.map((w) => ({
        successes: Math.min(w.runs, failedRuns(w, settings.ignoredCodes)),
        trials: w.runs,
      })),
    ),
  );
  const z = test.z / Math.sqrt(dispersion);
  const pValue = normalSf(z);
  const ratio = test.p2 === 0 ? (test.p1 === 0 ? 1 : Number.POSITIVE_INFINITY) : test.p1 / test.p2;
  const evidence = {
    numbers: {
      runs: current.runs,
      failed,
      error_rate: test.p1,
      baseline_runs: baseline.runs,
      baseline_failed: baselineFailed,
      baseline_error_rate: test.p2,
      // JSON has no Infinity: a baseline without errors reports the ratio against one error.
      ratio: Number.isFinite(ratio) ? ratio : test.p1 / (1 / baseline.runs),
      dispersion,
      z,
      p_value: pValue,
    },
    windows: current.windows,
    baselineWindows: baseline.windows,
    test: "two-proportion-z",
  };
  const significant = pValue < 1 - settings.confidence;
  const large = ratio >= settings.minRatio && test.difference >= settings.minIncrease;
  if (!(significant && large)) return { ...base, verdict: Verdict.Healthy, evidence };
  return {
    ...base,
    verdict: Verdict.Finding,
    severity: severityOf(ratio, 1, settings.criticalRatio),
    confidence: 1 - pValue,
    evidence,
  };
}

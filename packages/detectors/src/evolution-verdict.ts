import {
  EvolutionVerdict,
  FindingKind,
  type LatencyHistogram,
  type MetricWindow,
} from "@patinox/contracts";
import { quantile } from "@patinox/histogram";
import { twoProportionZTest } from "@patinox/statistics";
import { z } from "zod";
import { bucketsOf, countAbove, quantileBucket } from "./internal/histogram-buckets.ts";
import { addUp, failedRuns, type SpanTotals } from "./window-span.ts";

/** How a before/after comparison is judged. */
export const EvolutionSettings = z.strictObject({
  /** Windows before the change that form "before" (the latest ones). @default 10 */
  beforeWindows: z.int().min(1).max(1000).default(10),
  /** Windows after the change that form "after" (the earliest ones). @default 10 */
  afterWindows: z.int().min(1).max(1000).default(10),
  /** Windows after the change needed before any verdict but inconclusive. @default 3 */
  minAfterWindows: z.int().min(1).default(3),
  /** Samples (runs, calls) needed on each side. @default 100 */
  minSamples: z.int().min(1).default(100),
  /** One-sided confidence of the test in either direction. @default 0.999 */
  confidence: z.number().gt(0).lt(1).default(0.999),
  /** The relative change a verdict other than `no_change` needs (0.2 = 20%). @default 0.2 */
  minRelativeChange: z.number().min(0).default(0.2),
});

/** How a before/after comparison is judged. */
export type EvolutionSettings = z.output<typeof EvolutionSettings>;

/** What changed, and the windows to compare. */
export interface EvolutionInput {
  /** The finding kind the plan answered; it decides the metric. */
  readonly kind: FindingKind;
  /** The tool or validator, for per-target kinds. */
  readonly target?: string;
  /** The definition version before the change and the one carrying it. */
  readonly fromVersion: number;
  readonly toVersion: number;
  /**
   * When the change went live (epoch ms): splits windows that carry no version counts;
   * windows that do are split by version, and mixed ones are left out.
   */
  readonly appliedAt: number;
  readonly windows: readonly MetricWindow[];
}

/** One side of the comparison. */
export interface EvolutionSide {
  readonly value: number;
  readonly samples: number;
  readonly windows: readonly number[];
}

/** The verdict with its numbers, in the shape of the contracts' `Evolution`. */
export interface EvolutionResult {
  readonly metric: string;
  readonly verdict: EvolutionVerdict;
  readonly before: EvolutionSide;
  readonly after: EvolutionSide;
  /** after ÷ before (after − before when before is 0). */
  readonly effect?: number;
  /** One-sided p-value in the direction of the change, when the metric has a test. */
  readonly pValue?: number;
  /** Why it is inconclusive. */
  readonly reason?: string;
}

/** A metric: lower is better for every one of them. */
type Measure =
  | { readonly type: "proportion"; readonly events: number; readonly trials: number }
  | { readonly type: "latency"; readonly histogram: LatencyHistogram }
  | { readonly type: "mean"; readonly total: number; readonly count: number };

const METRICS: Readonly<
  Record<FindingKind, { name: string; measure: (s: SpanTotals, target?: string) => Measure }>
> = {
  error_rate_slo: { name: "error_rate", measure: errorRate },
  error_rate_baseline: { name: "error_rate", measure: errorRate },
  latency_slo: {
    name: "p95_latency_ms",
    measure: (s) => ({ type: "latency", histogram: s.latency }),
  },
  latency_baseline: {
    name: "p95_latency_ms",
    measure: (s) => ({ type: "latency", histogram: s.latency }),
  },
  tool_failures: {
    name: "tool_error_rate",
    measure: (s, t) => ({
      type: "proportion",
      events: tool(s, t).errors,
      trials: tool(s, t).calls,
    }),
  },
  tool_timeouts: {
    name: "tool_timeout_rate",
    measure: (s, t) => ({
      type: "proportion",
      events: tool(s, t).timeouts,
      trials: tool(s, t).calls,
    }),
  },
  validator_rejections: {
    name: "validator_rejection_rate",
    measure: (s, t) => ({
      type: "proportion",
      events: t === undefined ? 0 : (s.rejectedByValidator[t] ?? 0),
      trials: s.runs,
    }),
  },
  fallback_reliance: {
    name: "fallback_share",
    measure: (s) => ({ type: "proportion", events: s.fallbacks, trials: s.modelCalls }),
  },
  budget_burn: {
    name: "tokens_per_run",
    measure: (s) => ({ type: "mean", total: s.tokens, count: s.runs }),
  },
  breaker_flapping: {
    name: "breaker_opens_per_window",
    measure: (s) => ({ type: "mean", total: s.breakerOpens, count: s.windows.length }),
  },
};

/**
 * Whether a change helped: the finding's metric over the windows before the change against
 * the windows after it. Every metric is one where lower is better. Proportions (error rate,
 * a tool's timeout share…) use the two-proportion z-test with Yates' correction in each
 * direction; p95 latency uses the share of runs above the "before" p95 bucket; means (tokens
 * per run, breaker openings per window) have no test and are judged by the relative change
 * alone. `improved` / `regressed` need the test at `confidence` and a relative change of at
 * least `minRelativeChange`; otherwise `no_change` — but only with `minSamples` on each side
 * and `minAfterWindows` after the change, else `inconclusive`.
 */
export function evolutionVerdict(
  input: EvolutionInput,
  settings: EvolutionSettings,
): EvolutionResult {
  const metric = METRICS[input.kind];
  const { before, after } = splitByChange(input, settings);
  const measureBefore = metric.measure(before, input.target);
  const measureAfter = metric.measure(after, input.target);
  const sideBefore = side(measureBefore, before);
  const sideAfter = side(measureAfter, after);
  const base = { metric: metric.name, before: sideBefore, after: sideAfter };
  const inconclusive = (reason: string): EvolutionResult => ({
    ...base,
    verdict: EvolutionVerdict.Inconclusive,
    reason,
  });
  if (after.windows.length < settings.minAfterWindows) {
    return inconclusive(
      `${after.windows.length} windows after the change < ${settings.minAfterWindows}`,
    );
  }
  const needed =
    measureBefore.type === "mean" && input.kind === FindingKind.BreakerFlapping
      ? 1
      : settings.minSamples;
  if (sideBefore.samples < needed || sideAfter.samples < needed) {
    return inconclusive(
      `samples ${sideBefore.samples} before / ${sideAfter.samples} after < ${needed}`,
    );
  }
  const effect =
    sideBefore.value > 0 ? sideAfter.value / sideBefore.value : sideAfter.value - sideBefore.value;
  const worse =
    sideBefore.value > 0 ? effect >= 1 + settings.minRelativeChange : sideAfter.value > 0;
  const better = sideBefore.value > 0 && effect <= 1 / (1 + settings.minRelativeChange);
  const pValues = directionalPValues(measureBefore, measureAfter);
  const alpha = 1 - settings.confidence;
  if (pValues === undefined) {
    const verdict = worse
      ? EvolutionVerdict.Regressed
      : better
        ? EvolutionVerdict.Improved
        : EvolutionVerdict.NoChange;
    return { ...base, verdict, effect };
  }
  if (worse && pValues.worse < alpha)
    return { ...base, verdict: EvolutionVerdict.Regressed, effect, pValue: pValues.worse };
  if (better && pValues.better < alpha)
    return { ...base, verdict: EvolutionVerdict.Improved, effect, pValue: pValues.better };
  return {
    ...base,
    verdict: EvolutionVerdict.NoChange,
    effect,
    pValue: Math.min(pValues.worse, pValues.better),
  };
}

/** Splits windows into the latest `beforeWindows` before the change and the earliest `afterWindows` after. */
function splitByChange(input: EvolutionInput, settings: EvolutionSettings) {
  const beforeSet: MetricWindow[] = [];
  const afterSet: MetricWindow[] = [];
  for (const w of input.windows) {
    const versions = Object.entries(w.versions)
      .filter(([, n]) => n > 0)
      .map(([v]) => Number(v));
    if (versions.length > 0) {
      if (versions.every((v) => v < input.toVersion)) beforeSet.push(w);
      else if (versions.every((v) => v >= input.toVersion)) afterSet.push(w);
      // Mixed: the window the change went live in; neither side.
    } else if (w.windowStart + w.windowMs <= input.appliedAt) beforeSet.push(w);
    else if (w.windowStart >= input.appliedAt) afterSet.push(w);
  }
  beforeSet.sort((a, b) => a.windowStart - b.windowStart);
  afterSet.sort((a, b) => a.windowStart - b.windowStart);
  return {
    before: addUp(beforeSet.slice(-settings.beforeWindows)),
    after: addUp(afterSet.slice(0, settings.afterWindows)),
  };
}

function side(measure: Measure, span: SpanTotals): EvolutionSide {
  switch (measure.type) {
    case "proportion":
      return {
        value: measure.trials > 0 ? measure.events / measure.trials : 0,
        samples: measure.trials,
        windows: span.windows,
      };
    case "latency":
      return {
        value: quantile(measure.histogram, 0.95) ?? 0,
        samples: measure.histogram.count,
        windows: span.windows,
      };
    case "mean":
      return {
        value: measure.count > 0 ? measure.total / measure.count : 0,
        samples: measure.count,
        windows: span.windows,
      };
  }
}

/** One-sided p-values of "after is worse" and "after is better", where a test applies. */
function directionalPValues(
  before: Measure,
  after: Measure,
): { worse: number; better: number } | undefined {
  if (before.type === "proportion" && after.type === "proportion") {
    const a = { successes: Math.min(after.events, after.trials), trials: after.trials };
    const b = { successes: Math.min(before.events, before.trials), trials: before.trials };
    return {
      worse: twoProportionZTest(a, b, { continuityCorrection: true }).pValue,
      better: twoProportionZTest(b, a, { continuityCorrection: true }).pValue,
    };
  }
  if (before.type === "latency" && after.type === "latency") {
    const beforeBuckets = bucketsOf(before.histogram);
    const afterBuckets = bucketsOf(after.histogram);
    const threshold = quantileBucket(beforeBuckets, 0.95) ?? 0;
    // Worse: more runs above the old p95 bucket (at most 5% of "before" are). Better: fewer
    // runs at or above it (at least 5% of "before" are) — which also works when the old p95
    // is the top bucket and nothing lies above it.
    const share = (buckets: typeof beforeBuckets, from: number, trials: number) => ({
      successes: countAbove(buckets, from),
      trials,
    });
    const n = { before: before.histogram.count, after: after.histogram.count };
    return {
      worse: twoProportionZTest(
        share(afterBuckets, threshold, n.after),
        share(beforeBuckets, threshold, n.before),
        { continuityCorrection: true },
      ).pValue,
      better: twoProportionZTest(
        share(beforeBuckets, threshold - 1, n.before),
        share(afterBuckets, threshold - 1, n.after),
        { continuityCorrection: true },
      ).pValue,
    };
  }
  return undefined;
}

function errorRate(s: SpanTotals): Measure {
  return {
    type: "proportion",
    events: Math.min(s.runs, failedRuns(s, ["cancelled"])),
    trials: s.runs,
  };
}

function tool(s: SpanTotals, target?: string) {
  return (
    (target === undefined ? undefined : s.tools[target]) ?? {
      calls: 0,
      errors: 0,
      timeouts: 0,
      invalidArgs: 0,
    }
  );
}

import { FindingKind } from "@patinox/contracts";
import type { DetectorInput } from "./detector-input.ts";
import type { RateCeilingSettings } from "./detector-settings.ts";
import { outcomeBase } from "./internal/outcome-base.ts";
import { testCeiling } from "./internal/rate-ceiling.ts";
import { severityOf } from "./internal/severity.ts";
import { type DetectorOutcome, tooFew, Verdict } from "./outcome.ts";
import type { Spans, SpanTotals } from "./window-span.ts";

/** What one rate detector counts, per target or for the whole agent. */
interface RateSource {
  readonly kind: FindingKind;
  readonly metric: string;
  /** What the denominator counts, for the inconclusive reason (`calls`, `runs`). */
  readonly unit: string;
  /** (target, events, trials) per target; target undefined for an agent-wide rate. */
  rates(span: SpanTotals): Array<{ target?: string; events: number; trials: number }>;
}

function rateDetector(source: RateSource) {
  return (input: DetectorInput, spans: Spans, settings: RateCeilingSettings): DetectorOutcome[] =>
    source.rates(spans.current).map(({ target, events, trials }) => {
      const base = outcomeBase(source.kind, source.metric, input, spans.current, target);
      const few = tooFew(base, trials, settings.minSamples, source.unit, "minSamples");
      if (few) return few;
      const test = testCeiling(events, trials, settings.maxRate, settings.confidence);
      const evidence = {
        numbers: {
          [source.unit]: trials,
          events: Math.min(events, trials),
          rate: test.rate,
          wilson_lower: test.lower,
          max_rate: settings.maxRate,
        },
        windows: spans.current.windows,
        test: "wilson",
      };
      if (!test.exceeds) return { ...base, verdict: Verdict.Healthy, evidence };
      return {
        ...base,
        verdict: Verdict.Finding,
        severity: severityOf(test.rate, settings.maxRate, settings.criticalFactor),
        confidence: test.confidence,
        evidence,
      };
    });
}

/**
 * Tool failure hotspot: per tool, failed calls (status `error`; timeouts are their own
 * detector) per call above `maxRate` (Wilson lower bound).
 */
export const toolFailures = rateDetector({
  kind: FindingKind.ToolFailures,
  metric: "tool_error_rate",
  unit: "calls",
  rates: (span) =>
    Object.entries(span.tools).map(([tool, c]) => ({
      target: tool,
      events: c.errors,
      trials: c.calls,
    })),
});

/** Tool timeout hotspot: per tool, timed-out calls per call above `maxRate`. */
export const toolTimeouts = rateDetector({
  kind: FindingKind.ToolTimeouts,
  metric: "tool_timeout_rate",
  unit: "calls",
  rates: (span) =>
    Object.entries(span.tools).map(([tool, c]) => ({
      target: tool,
      events: c.timeouts,
      trials: c.calls,
    })),
});

/** Validator rejection hotspot: per validator, rejections per run above `maxRate`. */
export const validatorRejections = rateDetector({
  kind: FindingKind.ValidatorRejections,
  metric: "validator_rejection_rate",
  unit: "runs",
  rates: (span) =>
    Object.entries(span.rejectedByValidator).map(([validator, n]) => ({
      target: validator,
      events: n,
      trials: span.runs,
    })),
});

/** Fallback reliance: model calls made on a fallback model per model call above `maxRate`. */
export const fallbackReliance = rateDetector({
  kind: FindingKind.FallbackReliance,
  metric: "fallback_share",
  unit: "calls",
  rates: (span) => [{ events: span.fallbacks, trials: span.modelCalls }],
});

import { FindingKind } from "@patinox/contracts";
import { breakerFlapping } from "./breaker-flapping.ts";
import { budgetBurn } from "./budget-burn.ts";
import type { DetectorInput } from "./detector-input.ts";
import type { DetectorSettings } from "./detector-settings.ts";
import { errorRateBaseline, errorRateSlo } from "./error-rate.ts";
import { explainSymptoms } from "./explain-symptoms.ts";
import { latencyBaseline, latencySlo } from "./latency.ts";
import type { DetectorOutcome } from "./outcome.ts";
import {
  fallbackReliance,
  toolFailures,
  toolTimeouts,
  validatorRejections,
} from "./rate-hotspots.ts";
import { splitSpans } from "./window-span.ts";

/**
 * Runs every enabled detector over one agent's windows. Agent-wide detectors answer once;
 * per-target detectors answer once per tool or validator seen in the current windows (a target
 * not seen there has no answer, which counts as inconclusive). No windows at all: no answers.
 * Symptom findings a cause explains become inconclusive (see {@link explainSymptoms}).
 */
export function runDetectors(input: DetectorInput, settings: DetectorSettings): DetectorOutcome[] {
  const spans = splitSpans(input.windows, input.now, settings);
  if (spans === undefined) return [];
  const outcomes: DetectorOutcome[] = [];
  const on = (kind: FindingKind): boolean => settings[kind].enabled;
  if (on(FindingKind.ErrorRateSlo))
    outcomes.push(errorRateSlo(input, spans, settings.error_rate_slo));
  if (on(FindingKind.ErrorRateBaseline)) {
    outcomes.push(errorRateBaseline(input, spans, settings.error_rate_baseline));
  }
  if (on(FindingKind.LatencySlo)) outcomes.push(latencySlo(input, spans, settings.latency_slo));
  if (on(FindingKind.LatencyBaseline)) {
    outcomes.push(latencyBaseline(input, spans, settings.latency_baseline));
  }
  if (on(FindingKind.ToolFailures))
    outcomes.push(...toolFailures(input, spans, settings.tool_failures));
  if (on(FindingKind.ToolTimeouts))
    outcomes.push(...toolTimeouts(input, spans, settings.tool_timeouts));
  if (on(FindingKind.ValidatorRejections)) {
    outcomes.push(...validatorRejections(input, spans, settings.validator_rejections));
  }
  if (on(FindingKind.BudgetBurn)) outcomes.push(...budgetBurn(input, spans, settings.budget_burn));
  if (on(FindingKind.BreakerFlapping)) {
    outcomes.push(breakerFlapping(input, spans, settings.breaker_flapping));
  }
  if (on(FindingKind.FallbackReliance)) {
    outcomes.push(...fallbackReliance(input, spans, settings.fallback_reliance));
  }
  return settings.explainSymptoms ? explainSymptoms(outcomes, spans.current) : outcomes;
}

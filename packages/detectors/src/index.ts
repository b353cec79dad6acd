/**
 * Analyze's detectors: pure functions over one agent's metric windows (and its SLO and
 * budget) that answer finding, healthy or inconclusive, with the evidence numbers.
 * @packageDocumentation
 */

export { breakerFlapping } from "./breaker-flapping.ts";
export { budgetBurn } from "./budget-burn.ts";
export type { DetectorInput } from "./detector-input.ts";
export type { DetectorSettingsInput, RateCeilingSettings } from "./detector-settings.ts";
export { DetectorSettings } from "./detector-settings.ts";
export { errorRateBaseline, errorRateSlo } from "./error-rate.ts";
export type { EvolutionInput, EvolutionResult, EvolutionSide } from "./evolution-verdict.ts";
export { EvolutionSettings, evolutionVerdict } from "./evolution-verdict.ts";
export { explainSymptoms } from "./explain-symptoms.ts";
export { findingFingerprint } from "./fingerprint.ts";
export { latencyBaseline, latencySlo } from "./latency.ts";
export type {
  DetectorOutcome,
  Evidence,
  FindingOutcome,
  HealthyOutcome,
  InconclusiveOutcome,
} from "./outcome.ts";
export { Verdict } from "./outcome.ts";
export {
  fallbackReliance,
  toolFailures,
  toolTimeouts,
  validatorRejections,
} from "./rate-hotspots.ts";
export { runDetectors } from "./run-detectors.ts";
export type { Spans, SpanTotals } from "./window-span.ts";
export { addUp, splitSpans } from "./window-span.ts";

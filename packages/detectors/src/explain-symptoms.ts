import { FindingKind } from "@patinox/contracts";
import { type DetectorOutcome, Verdict } from "./outcome.ts";
import type { SpanTotals } from "./window-span.ts";

/** Which cause findings explain failures of which error code. */
const CAUSES_BY_CODE: Readonly<Record<string, readonly FindingKind[]>> = {
  tool_failure: [FindingKind.ToolTimeouts, FindingKind.ToolFailures],
  validation_rejected: [FindingKind.ValidatorRejections],
  model_failure: [FindingKind.BreakerFlapping, FindingKind.FallbackReliance],
};

const ERROR_SYMPTOMS: readonly FindingKind[] = [
  FindingKind.ErrorRateSlo,
  FindingKind.ErrorRateBaseline,
];
const LATENCY_SYMPTOMS: readonly FindingKind[] = [
  FindingKind.LatencySlo,
  FindingKind.LatencyBaseline,
];
/** Timed-out tool calls wait out their timeout: they explain slow runs. */
const LATENCY_CAUSES: readonly FindingKind[] = [FindingKind.ToolTimeouts];

/**
 * One fault, one finding. A tool that times out half the time also fails runs and slows them;
 * raising the error rate and latency findings too would make one fault three findings (and
 * three plans, none of them the fix). A symptom finding (error rate, latency) is turned into
 * `inconclusive` — raises nothing, resolves nothing — with the reason `explained by …` when a
 * cause finding of the same evaluation accounts for it:
 * - error rate: at least half the failed runs carry one error code, and a cause of that code
 *   is found (`tool_failure` ← tool timeouts or failures; `validation_rejected` ← validator
 *   rejections; `model_failure` ← breaker flapping or fallback reliance);
 * - latency: a tool timeout finding.
 * Once the cause is fixed, a symptom that remains is raised on its own.
 */
export function explainSymptoms(
  outcomes: readonly DetectorOutcome[],
  current: SpanTotals,
): DetectorOutcome[] {
  const causes = outcomes.filter((o) => o.verdict === Verdict.Finding);
  const named = (kinds: readonly FindingKind[]) =>
    causes
      .filter((o) => kinds.includes(o.kind))
      .map((o) => (o.target === undefined ? o.kind : `${o.kind}:${o.target}`));
  const dominant = dominantCode(current.failedByCode);
  const errorCauses = dominant === undefined ? [] : named(CAUSES_BY_CODE[dominant] ?? []);
  const latencyCauses = named(LATENCY_CAUSES);
  return outcomes.map((o) => {
    if (o.verdict !== Verdict.Finding) return o;
    const by = ERROR_SYMPTOMS.includes(o.kind)
      ? errorCauses
      : LATENCY_SYMPTOMS.includes(o.kind)
        ? latencyCauses
        : [];
    if (by.length === 0) return o;
    const { verdict: _v, severity: _s, confidence: _c, evidence: _e, ...base } = o;
    return { ...base, verdict: Verdict.Inconclusive, reason: `explained by ${by.join(", ")}` };
  });
}

/** The error code of at least half the failures, if one has that many. */
function dominantCode(failedByCode: Readonly<Record<string, number>>): string | undefined {
  const entries = Object.entries(failedByCode);
  const total = entries.reduce((n, [, c]) => n + c, 0);
  const [code, count] = entries.reduce<[string | undefined, number]>(
    (best, [c, n]) => (n > best[1] ? [c, n] : best),
    [undefined, 0],
  );
  return total > 0 && count * 2 >= total ? code : undefined;
}

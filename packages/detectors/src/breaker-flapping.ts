import { FindingKind } from "@patinox/contracts";
import type { DetectorInput } from "./detector-input.ts";
import type { DetectorSettings } from "./detector-settings.ts";
import { outcomeBase } from "./internal/outcome-base.ts";
import { severityOf } from "./internal/severity.ts";
import { type DetectorOutcome, Verdict } from "./outcome.ts";
import type { Spans } from "./window-span.ts";

/**
 * Breaker flapping: the agent's model circuit breakers opened at least `minOpens` times in the
 * current windows, in at least `minWindows` of them. A breaker that opens once and stays open is a failing model (the error
 * rate detectors see it); opening again and again means it keeps closing on a model that
 * keeps failing. A threshold on a count, confidence 1. No current windows: inconclusive.
 */
export function breakerFlapping(
  input: DetectorInput,
  spans: Spans,
  settings: DetectorSettings["breaker_flapping"],
): DetectorOutcome {
  const base = outcomeBase(FindingKind.BreakerFlapping, "breaker_opens", input, spans.current);
  if (spans.current.windows.length === 0) {
    return { ...base, verdict: Verdict.Inconclusive, reason: "no current windows" };
  }
  const opens = spans.current.breakerOpens;
  const windowsWithOpens = spans.current.records.filter((w) => w.breakerOpens > 0).length;
  const evidence = {
    numbers: {
      breaker_opens: opens,
      windows_with_opens: windowsWithOpens,
      min_opens: settings.minOpens,
      runs: spans.current.runs,
    },
    windows: spans.current.windows,
    test: "threshold",
  };
  if (opens < settings.minOpens || windowsWithOpens < settings.minWindows)
    return { ...base, verdict: Verdict.Healthy, evidence };
  return {
    ...base,
    verdict: Verdict.Finding,
    severity: severityOf(opens, settings.criticalOpens, 1),
    confidence: 1,
    evidence,
  };
}

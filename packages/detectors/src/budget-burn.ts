import { FindingKind } from "@patinox/contracts";
import type { DetectorInput } from "./detector-input.ts";
import type { DetectorSettings } from "./detector-settings.ts";
import { outcomeBase } from "./internal/outcome-base.ts";
import { severityOf } from "./internal/severity.ts";
import { type DetectorOutcome, tooFew, Verdict } from "./outcome.ts";
import { addUp, type Spans } from "./window-span.ts";

const HOUR_MS = 3_600_000;

/**
 * Token burn above the budget's pace: tokens of the last `paceWindows` windows, projected to
 * an hour, against `limits.tokenBudgetPerHour`. Missing windows count as idle, so a quiet
 * stretch lowers the pace rather than being skipped. A plain threshold on a measured pace
 * (there is no sampling question to test), reported with confidence 1. No budget: no answer.
 */
export function budgetBurn(
  input: DetectorInput,
  spans: Spans,
  settings: DetectorSettings["budget_burn"],
): DetectorOutcome[] {
  const budget = input.tokenBudgetPerHour;
  if (budget === undefined) return [];
  const spanMs = settings.paceWindows * spans.windowMs;
  const from = input.now - spanMs;
  const span = addUp(
    input.windows.filter(
      (w) => w.windowMs === spans.windowMs && w.windowStart > from && w.windowStart <= input.now,
    ),
  );
  const base = outcomeBase(FindingKind.BudgetBurn, "tokens_per_hour", input, span);
  const few = tooFew(base, span.runs, settings.minRuns, "runs", "minRuns");
  if (few) return [few];
  const perHour = (span.tokens * HOUR_MS) / spanMs;
  const pace = perHour / budget;
  const evidence = {
    numbers: {
      runs: span.runs,
      tokens: span.tokens,
      span_ms: spanMs,
      tokens_per_hour: perHour,
      token_budget_per_hour: budget,
      pace,
      cost_usd: span.costUsd,
    },
    windows: span.windows,
    test: "threshold",
  };
  if (pace <= settings.maxPace) return [{ ...base, verdict: Verdict.Healthy, evidence }];
  return [
    {
      ...base,
      verdict: Verdict.Finding,
      severity: severityOf(pace, settings.criticalPace, 1),
      confidence: 1,
      evidence,
    },
  ];
}

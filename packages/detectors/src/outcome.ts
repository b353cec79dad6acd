import type { FindingKind, Severity } from "@patinox/contracts";

/** The three answers of a detector, as in Argo Rollouts' analysis. */
export const Verdict = {
  /** The evidence clears every threshold and test: raise (or keep) a finding. */
  Finding: "finding",
  /** Enough data, and it does not show the pattern. Counts toward resolving an open finding. */
  Healthy: "healthy",
  /** Too little data to say either way. Raises nothing and resolves nothing. */
  Inconclusive: "inconclusive",
} as const;

/** One of the {@link Verdict} values. */
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** The numbers behind an answer, in the shape of a finding's `evidence`. */
export interface Evidence {
  /** Counts, rates, thresholds, test statistics, p-values. */
  readonly numbers: Readonly<Record<string, number>>;
  /** Start (epoch ms) of the current windows, oldest first. */
  readonly windows: readonly number[];
  /** Start (epoch ms) of the baseline windows, for baseline comparisons. */
  readonly baselineWindows?: readonly number[];
  /** The test used (`wilson`, `two-proportion-z`, `threshold`…). */
  readonly test: string;
}

/** What every answer says about itself. */
interface OutcomeBase {
  readonly kind: FindingKind;
  readonly agent: string;
  /** The tool or validator the answer is about; absent for agent-wide detectors. */
  readonly target?: string;
  /** The metric the detector measures (`error_rate`, `p95_latency_ms`, `tool_timeout_rate`…). */
  readonly metric: string;
  /** Start of the newest current window the answer saw; absent when there was none. */
  readonly throughWindow?: number;
}

/** The pattern is there. */
export interface FindingOutcome extends OutcomeBase {
  readonly verdict: typeof Verdict.Finding;
  readonly severity: Severity;
  /** How sure the detector is (1 − p-value for tests, 1 for plain thresholds). */
  readonly confidence: number;
  readonly evidence: Evidence;
}

/** Enough data, no pattern. */
export interface HealthyOutcome extends OutcomeBase {
  readonly verdict: typeof Verdict.Healthy;
  readonly evidence: Evidence;
}

/** Too little data. */
export interface InconclusiveOutcome extends OutcomeBase {
  readonly verdict: typeof Verdict.Inconclusive;
  /** Why, for logs and dry-run records (`12 runs < minRuns 30`). */
  readonly reason: string;
}

/** A detector's answer about one agent (and target). */
export type DetectorOutcome = FindingOutcome | HealthyOutcome | InconclusiveOutcome;

/**
 * The inconclusive answer when a sample is below its minimum (`have` `unit` < `setting` `need`),
 * else `undefined`: the one guard every detector applies before testing anything.
 */
export function tooFew(
  base: OutcomeBase,
  have: number,
  need: number,
  unit: string,
  setting: string,
): InconclusiveOutcome | undefined {
  if (have >= need) return undefined;
  return { ...base, verdict: Verdict.Inconclusive, reason: `${have} ${unit} < ${setting} ${need}` };
}

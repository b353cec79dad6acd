import { checkCounts, checkLevel } from "./internal/check-arguments.ts";
import { normalQuantile } from "./normal.ts";

/** A confidence interval for a proportion. */
export interface ProportionInterval {
  /** The observed proportion, successes ÷ trials. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  /** The two-sided confidence level the interval was computed at. */
  readonly confidence: number;
}

/**
 * The Wilson score interval for a binomial proportion (E. B. Wilson, 1927), two-sided at
 * `confidence`. Unlike the normal (Wald) interval it stays inside [0, 1] and behaves at 0 and
 * `trials` successes, which is where error rates of healthy agents live.
 * @throws StatisticsArgumentError `invalid_argument` for counts that are not whole, negative,
 *   successes above trials, no trials, or a confidence outside (0, 1).
 */
export function wilsonInterval(
  successes: number,
  trials: number,
  confidence = 0.95,
): ProportionInterval {
  checkCounts(successes, trials);
  checkLevel("confidence", confidence);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return {
    estimate: p,
    // Exact bounds at the edges: rounding would otherwise leave 1e-17 instead of 0.
    lower: successes === 0 ? 0 : Math.max(0, center - half),
    upper: successes === trials ? 1 : Math.min(1, center + half),
    confidence,
  };
}

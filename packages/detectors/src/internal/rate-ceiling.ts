import { normalCdf, wilsonInterval } from "@patinox/statistics";

/** Whether a rate exceeds a ceiling with the given one-sided confidence. */
export interface CeilingTest {
  readonly rate: number;
  /** The one-sided lower confidence bound of the rate (Wilson). */
  readonly lower: number;
  readonly exceeds: boolean;
  /**
   * Φ of the score statistic (p̂ − c) / √(c(1 − c)/n): the confidence that the rate is above the
   * ceiling. The Wilson lower bound passes `c` exactly when this passes the confidence level.
   */
  readonly confidence: number;
}

/**
 * Tests `events` out of `trials` against `ceiling`: the rate exceeds it when the one-sided
 * Wilson lower bound at `confidence` does.
 */
export function testCeiling(
  events: number,
  trials: number,
  ceiling: number,
  confidence: number,
): CeilingTest {
  const k = Math.min(events, trials);
  // A two-sided interval at 2c − 1 has c on each side: its lower bound is one-sided at c.
  const interval = wilsonInterval(k, trials, 2 * confidence - 1);
  const z = (interval.estimate - ceiling) / Math.sqrt((ceiling * (1 - ceiling)) / trials);
  return {
    rate: interval.estimate,
    lower: interval.lower,
    exceeds: interval.lower > ceiling,
    confidence: normalCdf(z),
  };
}

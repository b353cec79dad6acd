import { checkCounts } from "./internal/check-arguments.ts";
import { normalSf } from "./normal.ts";

/** Successes out of trials in one group. */
export interface ProportionSample {
  readonly successes: number;
  readonly trials: number;
}

/** The result of {@link twoProportionZTest}. */
export interface TwoProportionTest {
  /** successes ÷ trials of the first group. */
  readonly p1: number;
  /** successes ÷ trials of the second group. */
  readonly p2: number;
  /** p1 − p2. */
  readonly difference: number;
  /** The pooled proportion under the null hypothesis p1 = p2. */
  readonly pooled: number;
  /** The z statistic (0 when both groups are all successes or all failures). */
  readonly z: number;
  /** One-sided p-value of the alternative p1 > p2. */
  readonly pValue: number;
}

/** Options of {@link twoProportionZTest}. */
export interface TwoProportionOptions {
  /**
   * Yates' continuity correction: |p1 − p2| shrinks by ½(1/n1 + 1/n2) (not below 0). It keeps
   * the one-sided p-value honest when the expected counts are small, where the normal
   * approximation underestimates the binomial's upper tail. @default false
   */
  readonly continuityCorrection?: boolean;
}

/**
 * The two-proportion z-test with pooled variance, one-sided for the alternative that the
 * first group's proportion is greater: the test R's `prop.test(alternative = "greater")`
 * performs (its χ² is z²), without Yates' correction unless asked.
 * @throws StatisticsArgumentError for invalid counts.
 */
export function twoProportionZTest(
  first: ProportionSample,
  second: ProportionSample,
  options: TwoProportionOptions = {},
): TwoProportionTest {
  checkCounts(first.successes, first.trials);
  checkCounts(second.successes, second.trials);
  const p1 = first.successes / first.trials;
  const p2 = second.successes / second.trials;
  const pooled = (first.successes + second.successes) / (first.trials + second.trials);
  const variance = pooled * (1 - pooled) * (1 / first.trials + 1 / second.trials);
  // Both groups identical at 0 or 1: no evidence either way.
  const correction = options.continuityCorrection
    ? 0.5 * (1 / first.trials + 1 / second.trials)
    : 0;
  const shrunk = Math.sign(p1 - p2) * Math.max(0, Math.abs(p1 - p2) - correction);
  const z = variance === 0 ? 0 : shrunk / Math.sqrt(variance);
  return { p1, p2, difference: p1 - p2, pooled, z, pValue: normalSf(z) };
}

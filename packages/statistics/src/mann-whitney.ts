import { normalSf } from "./normal.ts";
import { StatisticsArgumentError } from "./statistics-argument-error.ts";

/**
 * One value (or one bucket of a histogram) and how many observations of each sample fall on
 * it. Observations on the same value are ties.
 */
export interface GroupedObservation {
  /** Orders the groups; equal values are merged. */
  readonly value: number;
  /** Observations of the first sample at this value. */
  readonly first: number;
  /** Observations of the second sample at this value. */
  readonly second: number;
}

/** The result of a Mann–Whitney U test. */
export interface MannWhitneyTest {
  /** U of the first sample: pairs (a, b) with a > b, ties counting one half. */
  readonly u: number;
  readonly n1: number;
  readonly n2: number;
  /**
   * The common-language effect size U ÷ (n1·n2): the probability that an observation of the
   * first sample exceeds one of the second (ties half). 0.5 means no shift.
   */
  readonly effect: number;
  /** The z statistic, tie-corrected and continuity-corrected. */
  readonly z: number;
  /** One-sided p-value of the alternative that the first sample is stochastically greater. */
  readonly pValue: number;
}

/**
 * The Mann–Whitney U test (Wilcoxon rank-sum) over grouped observations, with the normal
 * approximation, the tie correction of the variance and a continuity correction of 0.5 —
 * scipy's `mannwhitneyu(method="asymptotic", alternative="greater")`. Grouped input is what a
 * latency histogram is: each bucket is one group of tied observations, so two windows'
 * histograms can be compared without their raw samples (bucketing only adds ties, which makes
 * the test more conservative, never less).
 * @throws StatisticsArgumentError when a count is not a whole non-negative number or either
 *   sample is empty.
 */
export function mannWhitneyGrouped(groups: readonly GroupedObservation[]): MannWhitneyTest {
  const merged = new Map<number, { first: number; second: number }>();
  for (const g of groups) {
    if (!Number.isFinite(g.value)) throw new StatisticsArgumentError("values must be finite");
    for (const count of [g.first, g.second]) {
      if (!Number.isSafeInteger(count) || count < 0) {
        throw new StatisticsArgumentError(`counts must be whole numbers ≥ 0, got ${count}`);
      }
    }
    const at = merged.get(g.value) ?? { first: 0, second: 0 };
    merged.set(g.value, { first: at.first + g.first, second: at.second + g.second });
  }
  const ordered = [...merged.entries()].sort((a, b) => a[0] - b[0]);
  let n1 = 0;
  let n2 = 0;
  for (const [, g] of ordered) {
    n1 += g.first;
    n2 += g.second;
  }
  if (n1 === 0 || n2 === 0) {
    throw new StatisticsArgumentError(`both samples need observations, got ${n1} and ${n2}`);
  }
  const n = n1 + n2;
  let rankSumFirst = 0;
  let below = 0;
  let tieTerm = 0;
  for (const [, g] of ordered) {
    const t = g.first + g.second;
    // Every observation of a tie group gets the group's mean rank.
    const meanRank = below + (t + 1) / 2;
    rankSumFirst += g.first * meanRank;
    tieTerm += t * t * t - t;
    below += t;
  }
  const u = rankSumFirst - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  // All observations tied: nothing to tell the samples apart.
  const z = variance > 0 ? (u - mean - 0.5) / Math.sqrt(variance) : 0;
  return { u, n1, n2, effect: u / (n1 * n2), z, pValue: variance > 0 ? normalSf(z) : 1 };
}

/**
 * {@link mannWhitneyGrouped} over raw samples: is `first` stochastically greater than
 * `second`?
 */
export function mannWhitneyU(first: readonly number[], second: readonly number[]): MannWhitneyTest {
  return mannWhitneyGrouped([
    ...first.map((value) => ({ value, first: 1, second: 0 })),
    ...second.map((value) => ({ value, first: 0, second: 1 })),
  ]);
}

import type { ProportionSample } from "./two-proportion.ts";

/**
 * The dispersion of several binomial samples around their pooled proportion: Pearson's χ² of
 * the k×2 table divided by its k − 1 degrees of freedom. About 1 when the samples share one
 * proportion; above 1 when the proportion itself moves between samples (error rates that
 * drift from window to window), which plain binomial tests do not expect. Dividing a z
 * statistic by √φ (the quasi-binomial correction) makes such a test honest again.
 * @returns 1 when it cannot be estimated (fewer than two non-empty samples, or a pooled
 *   proportion of 0 or 1).
 */
export function binomialDispersion(samples: readonly ProportionSample[]): number {
  const used = samples.filter((s) => s.trials > 0);
  if (used.length < 2) return 1;
  const successes = used.reduce((n, s) => n + s.successes, 0);
  const trials = used.reduce((n, s) => n + s.trials, 0);
  const pooled = successes / trials;
  if (pooled === 0 || pooled === 1) return 1;
  let chi2 = 0;
  for (const s of used) {
    const expected = s.trials * pooled;
    chi2 += (s.successes - expected) ** 2 / (expected * (1 - pooled));
  }
  return chi2 / (used.length - 1);
}

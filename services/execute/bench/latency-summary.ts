/** The value at quantile `q` (0–1) of ascending `sorted`, nearest rank. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** The median of `values` (not modified). */
export function median(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  return quantile(sorted, 0.5);
}

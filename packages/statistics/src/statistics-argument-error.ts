/**
 * A statistical function was given arguments outside its domain (negative counts, a
 * confidence of 1…). Code `invalid_argument`: a caller's bug, never a data condition — too
 * little data is answered by the functions themselves (or by the detectors' minimum sample
 * sizes), not thrown.
 */
export class StatisticsArgumentError extends Error {
  override readonly name = "StatisticsArgumentError";
  readonly code = "invalid_argument" as const;
}

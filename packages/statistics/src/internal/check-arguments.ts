import { StatisticsArgumentError } from "../statistics-argument-error.ts";

/** Throws unless `successes` out of `trials` are whole counts with at least one trial. */
export function checkCounts(successes: number, trials: number): void {
  if (!Number.isSafeInteger(trials) || trials < 1) {
    throw new StatisticsArgumentError(`trials must be a whole number ≥ 1, got ${trials}`);
  }
  if (!Number.isSafeInteger(successes) || successes < 0 || successes > trials) {
    throw new StatisticsArgumentError(
      `successes must be a whole number in [0, ${trials}], got ${successes}`,
    );
  }
}

/** Throws unless `level` is strictly between 0 and 1. */
export function checkLevel(name: string, level: number): void {
  if (!(level > 0 && level < 1)) {
    throw new StatisticsArgumentError(`${name} must be strictly between 0 and 1, got ${level}`);
  }
}

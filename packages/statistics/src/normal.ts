/**
 * The standard normal distribution. Written here rather than taken from `@stdlib` because the
 * two `@stdlib` functions pull in about 150 packages; these are a few dozen lines, accurate to
 * about 1e-14 relative, tails included (checked against scipy in `normal.test.ts`). Hart's
 * popular rational approximation was tried first and is only good to about 1e-9 relative.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);
/** Below it the series converges fast and cancels little; above it the continued fraction does. */
const SERIES_LIMIT = 2.5;

/** The upper tail P(Z > x) of the standard normal, accurate far into the tail. */
export function normalSf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const lower = lowerTailOfAbs(Math.abs(x));
  return x > 0 ? lower : 1 - lower;
}

/** The cumulative distribution function P(Z ≤ x) of the standard normal. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const lower = lowerTailOfAbs(Math.abs(x));
  return x > 0 ? 1 - lower : lower;
}

/** The standard normal density. */
function density(x: number): number {
  return Math.exp((-x * x) / 2) / SQRT_2PI;
}

/** P(Z ≤ -a) for a ≥ 0. */
function lowerTailOfAbs(a: number): number {
  if (a > 38.5) return 0; // below the smallest double
  if (a < SERIES_LIMIT) {
    // G. Marsaglia, "Evaluating the normal distribution" (2004): Φ(a) = ½ + φ(a)·Σ a^(2n+1)/(2n+1)!!
    let sum = a;
    let term = a;
    for (let i = 1; i < 200; i++) {
      term *= (a * a) / (2 * i + 1);
      const next = sum + term;
      if (next === sum) break;
      sum = next;
    }
    return 0.5 - sum * density(a);
  }
  // Laplace's continued fraction of the Mills ratio, Q(a) = φ(a) / (a + 1/(a + 2/(a + 3/…))),
  // by the modified Lentz method (Numerical Recipes §5.2); 15–70 terms for a ≥ 2.5.
  let f = a;
  let c = a;
  let d = 0;
  for (let j = 1; j < 500; j++) {
    d = 1 / (a + j * d);
    c = a + j / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return density(a) / f;
}

const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
] as const;
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1,
] as const;
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
] as const;
const D = [
  7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416,
] as const;
const P_LOW = 0.02425;

/**
 * The quantile function (inverse CDF) of the standard normal: the x with P(Z ≤ x) = p.
 * P. J. Acklam's rational approximation (relative error 1.15e-9) polished by one Halley step
 * against {@link normalCdf}, which brings it to full double precision.
 * @returns -Infinity at 0, Infinity at 1, NaN outside [0, 1].
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  } else if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
      (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  // Halley refinement; in the upper half use the upper tail so no digits cancel.
  const error = x > 0 ? 1 - p - normalSf(x) : normalCdf(x) - p;
  const u = error * SQRT_2PI * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

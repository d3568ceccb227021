/**
 * The standard normal pieces the Parzen estimators need: draws, log densities and interval
 * masses accurate in the tails (a kernel far from an integer still gives it a finite log mass).
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** A standard normal draw from a uniform stream (Box–Muller). */
export function gaussian(random: () => number): number {
  const u = 1 - random(); // (0, 1] so the log is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** log φ(z) of the standard normal density. */
export function logStandardDensity(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/** P(a ≤ Z ≤ b) for a standard normal Z, a ≤ b, without cancellation in either tail. */
export function standardMass(a: number, b: number): number {
  // Upper tail: Φ(b) − Φ(a) = Q(a) − Q(b), both small and accurate through erfc.
  if (a > 0) return upperTail(a) - upperTail(b);
  if (b < 0) return upperTail(-b) - upperTail(-a);
  return 1 - upperTail(-a) - upperTail(b);
}

/** Q(z) = P(Z > z). */
function upperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function, fractional error below 1.2e-7 everywhere (Chebyshev fit). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** log Σ exp(values), stable for large magnitudes; −∞ for an empty list. */
export function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

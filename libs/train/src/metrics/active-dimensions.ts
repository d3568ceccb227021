/**
 * Default threshold, in nats, on a continuous dimension's KL to the prior
 * averaged over the data: below it the posterior is the prior for every input,
 * so the dimension carries no information about the input.
 */
export const ACTIVE_KL_THRESHOLD = 0.01;

/** Indices of the continuous latent dimensions whose mean KL exceeds `threshold`. */
export function activeDimensions(klPerDim: number[], threshold = ACTIVE_KL_THRESHOLD): number[] {
  const active: number[] = [];
  klPerDim.forEach((kl, dim) => {
    if (kl > threshold) active.push(dim);
  });
  return active;
}

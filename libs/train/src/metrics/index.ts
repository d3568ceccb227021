export { discreteAccuracy, type DiscreteAccuracy } from './discrete-accuracy.js';
export { ACTIVE_KL_THRESHOLD, activeDimensions } from './active-dimensions.js';
export type { FactorCodes } from './factor-codes.js';
export { FACTOR_VAE_MIN_STD, factorVaeScore, type FactorVaeOptions, type FactorVaeScore } from './factor-vae-score.js';
export { mutualInformationGap, type MigOptions, type MutualInformationGap } from './mutual-information-gap.js';

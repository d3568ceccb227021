/** @jvae/model: the Joint VAE of ARCHITECTURE.md, "The model and its loss", in TensorFlow.js, its losses, noise and optimizer. */
export * from './settings.js';
export * from './noise.js';
export * from './architecture.js';
export * from './loss.js';
export * from './joint-vae.js';
export * from './adam.js';
export * from './backend/index.js';
export * from './latent-traversal.js';
export * from './traversal-image.js';

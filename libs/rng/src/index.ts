/**
 * @jvae/rng: every seeded hash and random stream of the project, on one MurmurHash3 core, so
 * that weights, noise, data order and sweep trials replay bit for bit on any machine.
 */
export { hash32 } from './murmur3.js';
export { normal, uniform, uniformFloat32 } from './coordinate-draws.js';
export { Rng } from './rng.js';
export { hashSeed } from './hash-seed.js';
export { createRng } from './mulberry32.js';

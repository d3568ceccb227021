/**
 * The light entry `@jvae/model/config`: configuration types, presets, resolution, the
 * schedules, the loss on numbers and the backend names, with no TensorFlow.js import.
 */
export * from './config.js';
export * from './backends.js';
export * from './config-error.js';
export * from './resolve.js';
export * from './schedule.js';
export * from './joint-loss.js';

/**
 * The light entry `@jvae/model/config`: configuration types, presets, resolution and the
 * schedules, with no TensorFlow.js import.
 */
export * from './config.js';
export * from './config-error.js';
export * from './resolve.js';
export * from './schedule.js';

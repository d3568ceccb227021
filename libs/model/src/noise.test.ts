import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS, type ModelConfig } from './config.js';
import { sampleNoise } from './noise.js';

const config: ModelConfig = { ...PRESETS.mnist, latent: { continuous: 4, discrete: [3, 5] } };

test('noise has count × D normals and count × ΣK uniforms', () => {
  const noise = sampleNoise(config, 7, 3, 0, 6);
  assert.equal(noise.eps.length, 6 * 4);
  assert.equal(noise.uniforms.length, 6 * 8);
});

test('sample j of step t gets the same noise however the batch is split', () => {
  const whole = sampleNoise(config, 7, 3, 0, 9);
  const parts = [sampleNoise(config, 7, 3, 0, 2), sampleNoise(config, 7, 3, 2, 4), sampleNoise(config, 7, 3, 6, 3)];
  assert.deepEqual(Float32Array.from(parts.flatMap((p) => Array.from(p.eps))), whole.eps);
  assert.deepEqual(Float32Array.from(parts.flatMap((p) => Array.from(p.uniforms))), whole.uniforms);
  assert.deepEqual(sampleNoise(config, 7, 3, 0, 9), whole);
});

test('noise changes with the seed, the step and the sample', () => {
  const base = sampleNoise(config, 7, 3, 0, 2);
  const others = [sampleNoise(config, 8, 3, 0, 2), sampleNoise(config, 7, 4, 0, 2), sampleNoise(config, 7, 3, 2, 2)];
  for (const other of others) {
    assert.notDeepEqual(other.eps, base.eps);
    assert.notDeepEqual(other.uniforms, base.uniforms);
  }
  // The two rows of one draw differ too.
  assert.notDeepEqual(base.eps.subarray(0, 4), base.eps.subarray(4, 8));
});

test('eps looks standard normal and uniforms lie strictly inside (0, 1)', () => {
  const { eps, uniforms } = sampleNoise(config, 1, 0, 0, 4000);
  const n = eps.length;
  const mean = eps.reduce((a, b) => a + b, 0) / n;
  const variance = eps.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  const within = eps.filter((e) => Math.abs(e) < 1).length / n;
  assert.ok(Math.abs(within - 0.6827) < 0.02, `P(|eps| < 1) = ${within}`);
  assert.ok(uniforms.every((u) => u > 0 && u < 1));
  const uMean = uniforms.reduce((a, b) => a + b, 0) / uniforms.length;
  assert.ok(Math.abs(uMean - 0.5) < 0.01, `uniform mean ${uMean}`);
  const deciles = new Array(10).fill(0);
  uniforms.forEach((u) => deciles[Math.floor(u * 10)]++);
  for (const count of deciles) assert.ok(Math.abs(count / uniforms.length - 0.1) < 0.01, `deciles ${deciles}`);
});

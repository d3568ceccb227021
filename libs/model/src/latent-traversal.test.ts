import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { PRESETS, type ModelConfig } from './config.js';
import { JointVae } from './joint-vae.js';
import { latentTraversal, type TraversalGrid } from './latent-traversal.js';

const CONFIG: ModelConfig = { ...PRESETS.mnist, latent: { continuous: 3, discrete: [4, 2] } };
const SEED = 5;
/** Φ⁻¹ at 0.05, 0.15, …, 0.95 (Python's statistics.NormalDist().inv_cdf). */
const DECILE_QUANTILES = [
  -1.6448536269514726, -1.0364333894937894, -0.6744897501960817, -0.3853204664075675, -0.125661346855074, 0.12566134685507413,
  0.38532046640756795, 0.6744897501960821, 1.0364333894937903, 1.644853626951473,
];

const vae = JointVae.create(CONFIG, SEED);
after(() => vae.dispose());

function differ(a: Uint8Array, b: Uint8Array): boolean {
  return a.some((value, i) => value !== b[i]);
}

/** The decoder's grey levels for explicit latent rows concat(z, c_0, c_1). */
function decodeRows(model: JointVae, latents: number[][]): Uint8Array[] {
  const images = tf.tidy(() => model.decode(tf.tensor2d(latents)));
  const pixels = images.dataSync();
  images.dispose();
  const size = CONFIG.imageSize ** 2;
  return latents.map((_, n) => Uint8Array.from(pixels.subarray(n * size, (n + 1) * size), (v) => Math.round(v * 255)));
}

describe('latentTraversal', () => {
  test('has a row per continuous dimension, then one per categorical latent with a column per category', () => {
    const grid = latentTraversal(vae, { columns: 5 });
    assert.equal(grid.imageSize, 32);
    assert.equal(grid.columns, 5);
    assert.deepEqual(grid.fixedCategories, [0, 0]);
    assert.deepEqual(
      grid.rows.map((row) => [row.label, row.kind, row.values.length, row.images.length]),
      [
        ['z0', 'continuous', 5, 5],
        ['z1', 'continuous', 5, 5],
        ['z2', 'continuous', 5, 5],
        ['c0', 'categorical', 4, 4],
        ['c1', 'categorical', 2, 2],
      ],
    );
    for (const row of grid.rows) {
      for (const image of row.images) {
        assert.ok(image instanceof Uint8Array);
        assert.equal(image.length, 32 * 32);
      }
    }
  });

  test('sweeps the standard normal quantiles of evenly spaced probabilities; categorical rows list their categories', () => {
    const grid = latentTraversal(vae);
    assert.equal(grid.columns, 10);
    for (const row of grid.rows.slice(0, 3)) {
      row.values.forEach((value, j) => assert.ok(Math.abs(value - DECILE_QUANTILES[j]) < 1e-12, `${row.label}[${j}] = ${value}`));
    }
    assert.deepEqual(grid.rows[3].values, [0, 1, 2, 3]);
    assert.deepEqual(grid.rows[4].values, [0, 1]);
    const wide = latentTraversal(vae, { columns: 3, tailProbability: 0.001 }).rows[0].values;
    assert.ok(Math.abs(wide[0] + 3.090232306167813) < 1e-12);
    assert.equal(wide[1], 0);
    assert.ok(Math.abs(wide[2] - 3.090232306167813) < 1e-12);
  });

  test('decodes z_d swept with the other z at 0 and the categoricals fixed; a categorical row one-hot per category at z = 0', () => {
    const fixedCategories = [2, 1];
    const grid = latentTraversal(vae, { columns: 4, fixedCategories });
    const oneHot = (k: number, at: number) => Array.from({ length: k }, (_, i) => (i === at ? 1 : 0));
    const fixed = [...oneHot(4, 2), ...oneHot(2, 1)];
    for (const d of [0, 1, 2]) {
      const row = grid.rows[d];
      const latents = row.values.map((value) => [...[0, 1, 2].map((i) => (i === d ? value : 0)), ...fixed]);
      assert.deepEqual(row.images, decodeRows(vae, latents), row.label);
    }
    assert.deepEqual(grid.rows[3].images, decodeRows(vae, [0, 1, 2, 3].map((c) => [0, 0, 0, ...oneHot(4, c), ...oneHot(2, 1)])));
    assert.deepEqual(grid.rows[4].images, decodeRows(vae, [0, 1].map((c) => [0, 0, 0, ...oneHot(4, 2), ...oneHot(2, c)])));
  });

  test("the swept value changes a row's images; the latents a row holds do not", () => {
    // A decoder that ignores z0 and z2: their rows show only what the row holds fixed.
    const model = JointVae.create(CONFIG, SEED);
    try {
      const layer = model.decoder.getLayer('dec_fc1');
      const [kernel, bias] = layer.getWeights();
      const mask = tf.tensor2d([0, 1, 0, 1, 1, 1, 1, 1, 1], [9, 1]);
      const masked = tf.mul(kernel, mask);
      layer.setWeights([masked, bias]);
      tf.dispose([mask, masked]);

      const grid = latentTraversal(model);
      const [z0, z1, z2, c0] = grid.rows;
      const held = c0.images[0]; // z = 0, every categorical at its fixed category 0
      for (const row of [z0, z2]) row.images.forEach((image, j) => assert.deepEqual(image, held, `${row.label}[${j}]`));
      for (let j = 1; j < z1.images.length; j++) assert.ok(differ(z1.images[j - 1], z1.images[j]), `z1 columns ${j - 1} and ${j}`);
    } finally {
      model.dispose();
    }
  });

  test('changes every continuous row from column to column, and each categorical row between any two categories', () => {
    const grid = latentTraversal(vae);
    for (const row of grid.rows.filter((r) => r.kind === 'continuous')) {
      for (let j = 1; j < row.images.length; j++) assert.ok(differ(row.images[j - 1], row.images[j]), `${row.label}: columns ${j - 1} and ${j}`);
    }
    for (const row of grid.rows.filter((r) => r.kind === 'categorical')) {
      row.images.forEach((a, i) =>
        row.images.slice(i + 1).forEach((b, offset) => assert.ok(differ(a, b), `${row.label}: categories ${i} and ${i + 1 + offset}`)),
      );
    }
  });

  test('is deterministic: the same grid again, and from a model built with the same seed', () => {
    const twin = JointVae.create(CONFIG, SEED);
    try {
      const first: TraversalGrid = latentTraversal(vae, { fixedCategories: [3, 1] });
      assert.deepEqual(latentTraversal(vae, { fixedCategories: [3, 1] }), first);
      assert.deepEqual(latentTraversal(twin, { fixedCategories: [3, 1] }), first);
    } finally {
      twin.dispose();
    }
  });

  test('releases every tensor it makes', () => {
    latentTraversal(vae, { columns: 3 });
    const before = tf.memory().numTensors;
    latentTraversal(vae);
    latentTraversal(vae, { columns: 7, fixedCategories: [1, 1] });
    assert.equal(tf.memory().numTensors, before);
  });

  test('refuses bad options with a message naming the option', () => {
    assert.throws(() => latentTraversal(vae, { columns: 1 }), { name: 'RangeError', message: /columns must be an integer ≥ 2, got 1/ });
    assert.throws(() => latentTraversal(vae, { columns: 2.5 }), /columns must be an integer ≥ 2, got 2\.5/);
    assert.throws(() => latentTraversal(vae, { tailProbability: 0.5 }), /tailProbability must be in \(0, 0\.5\), got 0\.5/);
    assert.throws(() => latentTraversal(vae, { tailProbability: 0 }), /tailProbability must be in \(0, 0\.5\), got 0/);
    assert.throws(() => latentTraversal(vae, { fixedCategories: [0] }), /one category per categorical latent \(2\), got 1/);
    assert.throws(() => latentTraversal(vae, { fixedCategories: [0, 2] }), /fixedCategories\[1\] must be an integer from 0 to 1, got 2/);
    assert.throws(() => latentTraversal(vae, { fixedCategories: [-1, 0] }), /fixedCategories\[0\] must be an integer from 0 to 3, got -1/);
  });
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '@jvae/data';
import { Adam, JointVae, selectBackend } from '@jvae/model';
import { lossReport, resolveTrainConfig } from '@jvae/model/config';
import { writeCheckpoint } from './checkpoint/checkpoint.js';
import { evaluateCheckpoint } from './evaluate-checkpoint.js';
import { evaluate } from './evaluation.js';
import { smallConfig, syntheticDataset } from './test-fixtures.js';

const RANKED = ['loss', 'recon', 'klCont', 'klDisc'];
let root: string;

before(async () => {
  await selectBackend('wasm');
  root = await mkdtemp(join(tmpdir(), 'jvae-eval-'));
});

after(() => rm(root, { recursive: true, force: true }));

test('evaluation on labelled data gives the loss terms, KL per dimension and discrete accuracy', () => {
  const config = smallConfig();
  const dataset = syntheticDataset();
  const model = JointVae.create(config, config.seed);
  try {
    const metrics = evaluate(model, dataset, { step: 100, config });
    assert.deepEqual(Object.keys(metrics).sort(), [
      'activeDims',
      'capacityCont',
      'capacityDisc',
      'categoryLabels',
      'discreteAccuracy',
      'klCont',
      'klDisc',
      'klPerDim',
      'loss',
      'recon',
      'step',
      'tau',
    ]);
    for (const key of RANKED) assert.ok(Number.isFinite(metrics[key as 'loss']), key);
    assert.equal(metrics.step, 100);
    assert.equal(metrics.klPerDim.length, 10);
    const klSum = metrics.klPerDim.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(klSum - metrics.klCont) < 1e-4, 'KL per dimension sums to KL_cont');
    assert.equal(metrics.activeDims, metrics.klPerDim.filter((kl) => kl > 0.01).length);
    assert.ok(metrics.discreteAccuracy! >= 0.1 && metrics.discreteAccuracy! <= 1);
    assert.equal(metrics.categoryLabels!.latent, 0);
    const table = metrics.categoryLabels!.counts;
    assert.equal(table.length, config.latent.discrete[0], 'one row per category');
    assert.equal(table.flat().reduce((a, b) => a + b, 0), dataset.validation.count, 'every validation sample counted once');
    const majorities = table.reduce((sum, row) => sum + Math.max(...row), 0);
    assert.equal(majorities / dataset.validation.count, metrics.discreteAccuracy, 'accuracy is the share of row majorities');
    const report = lossReport(config, 100, metrics);
    assert.equal(metrics.loss, report.loss);
    assert.equal(metrics.capacityCont, report.capacities.cont);
    assert.equal(metrics.tau, 0.67);

    // Chunking changes nothing but float rounding.
    const chunked = evaluate(model, dataset, { step: 100, config, chunkSize: 5 });
    for (const key of RANKED) {
      const [a, b] = [chunked[key as 'loss'], metrics[key as 'loss']];
      assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), key);
    }
    assert.equal(chunked.discreteAccuracy, metrics.discreteAccuracy);
  } finally {
    model.dispose();
  }
});

test('evaluation on data with factors adds the factor score and MIG; a checkpoint evaluates on its dataset', async () => {
  const config = resolveTrainConfig({ preset: 'dsprites' }, { batchSize: 8 });
  const dataset = await loadDataset('shapes', { limit: 300 });
  const model = JointVae.create(config, config.seed);
  try {
    const metrics = evaluate(model, dataset, { step: 0, config });
    // The shapes set labels each image with its shape.
    assert.ok(dataset.validation.labels);
    assert.ok(metrics.discreteAccuracy! >= 0 && metrics.discreteAccuracy! <= 1);
    assert.ok(metrics.factorScore! >= 0 && metrics.factorScore! <= 1, `factorScore ${metrics.factorScore}`);
    assert.ok(metrics.mig! >= 0 && metrics.mig! <= 1, `mig ${metrics.mig}`);
    assert.equal(metrics.klPerDim.length, 6);

    const dir = join(root, 'shapes');
    const state = {
      trial: { version: 1, config, step: 0, seed: config.seed, metrics, dataCursor: { epoch: 0, index: 0 } },
      weights: model.getWeights(),
      optimizer: new Adam(model.size, { lr: config.lr }).state(),
    };
    await writeCheckpoint(dir, state, model);
    const fromDisk = await evaluateCheckpoint(dir, { backend: 'wasm' });
    assert.equal(fromDisk.step, 0);
    assert.ok(Number.isFinite(fromDisk.loss) && fromDisk.factorScore !== undefined && fromDisk.mig !== undefined);
  } finally {
    model.dispose();
  }
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { expandTrials } from './expand-trials.js';
import { MAX_SPEC_BYTES, parseSweepSpec } from './parse-spec.js';
import { SweepSpecError } from './sweep-spec-error.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/sweeps/mnist-capacity.yaml', import.meta.url));

const YAML_SPEC = `
name: mnist-capacity
method: random            # grid | random
run_cap: 8
metric: {name: discreteAccuracy, goal: maximize}
dataset: {name: mnist-sample}
train: {preset: mnist, steps: 3000, batchSize: 64, evalEvery: 250, checkpointEvery: 500}
replicas: {min: 1, max: 2}
seed: 7
early_terminate: {type: asha, min_steps: 500, eta: 3}
parameters:
  capacity.continuous.max: {values: [5, 10]}
  capacity.discrete.gamma: {values: [30, 100]}
  temperature: {distribution: uniform, min: 0.5, max: 1.0}
  lr: {value: 5e-4}
`;

function failsWith(text: string, message: RegExp, source?: string): void {
  assert.throws(
    () => parseSweepSpec(text, source),
    (err: unknown) => err instanceof SweepSpecError && message.test(err.message),
  );
}

describe('parseSweepSpec', () => {
  it('parses YAML, including exponent numbers and comments', () => {
    const spec = parseSweepSpec(YAML_SPEC);
    assert.equal(spec.method, 'random');
    assert.deepEqual(spec.parameters.lr, { value: 5e-4 });
    assert.deepEqual(spec.replicas, { min: 1, max: 2 });
  });

  it('parses the same spec written as JSON identically', () => {
    const json = JSON.stringify(parseSweepSpec(YAML_SPEC));
    assert.deepEqual(parseSweepSpec(json), parseSweepSpec(YAML_SPEC));
  });

  it('prefixes errors with the source and the key path', () => {
    failsWith(YAML_SPEC.replace('min: 0.5, max: 1.0', 'min: 2, max: 1'), /^sweep\.yaml: parameters\.temperature\.min: must be less than max \(got 2 > 1\)$/, 'sweep.yaml');
    failsWith(YAML_SPEC.replace('method: random', 'method: annealing'), /^method: must be one of grid, random, bayes \(got "annealing"\)$/);
  });

  it('reports YAML syntax errors with their position', () => {
    failsWith('name: x\nparameters: [\n', /^s\.yaml: spec: not valid YAML or JSON at line \d+, column \d+: /, 's.yaml');
    failsWith('{"name": "x", "method": ', /not valid YAML or JSON at line 1/);
  });

  it('rejects duplicate keys, which YAML would otherwise let override silently', () => {
    failsWith('name: a\nmethod: grid\nname: b\n', /Map keys must be unique/);
  });

  it('rejects an empty document, a list and a scalar', () => {
    failsWith('', /^spec: must be a mapping \(got null\)$/);
    failsWith('- name: x', /must be a mapping \(got a list\)/);
    failsWith('grid', /must be a mapping \(got "grid"\)/);
  });

  it('rejects oversized specs before parsing them', () => {
    failsWith(`name: x\n#${'a'.repeat(MAX_SPEC_BYTES)}`, /is 10485\d\d bytes, more than the limit of 1 MiB \(1048576 bytes\)/);
  });

  it('rejects alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 6; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      bomb.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    failsWith(bomb.join('\n'), /^spec: not valid YAML or JSON: .*alias/i);
  });

  it('parses the shipped example: a 4-trial grid of short mnist-sample runs', () => {
    const spec = parseSweepSpec(readFileSync(EXAMPLE, 'utf8'), 'mnist-capacity.yaml');
    assert.equal(spec.method, 'grid');
    assert.equal(spec.dataset?.name, 'mnist-sample');
    assert.deepEqual(spec.early_terminate, { type: 'asha', min_steps: 200, eta: 2 });
    const trials = expandTrials(spec);
    assert.equal(trials.length, 4);
    for (const trial of trials) {
      assert.equal(trial.config.dataset, 'mnist-sample');
      assert.equal(trial.config.steps, 800);
      assert.equal(trial.config.batchSize, 16);
      assert.equal(trial.config.evalEvery, 200);
      assert.equal(trial.config.checkpointEvery, 200);
      assert.deepEqual([trial.config.capacity.continuous.max, trial.config.capacity.discrete.max], [5, 2.3]);
    }
    const gammas = trials.map((t) => [t.config.capacity.continuous.gamma, t.config.capacity.discrete.gamma]);
    assert.deepEqual(gammas, [[2, 2], [2, 30], [30, 2], [30, 30]]);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PRESETS } from './config.js';
import { ConfigError } from './config-error.js';
import { checkTrainConfig, configPaths, getByPath, resolveTrainConfig, setByPath } from './resolve.js';

function assertConfigError(run: () => unknown, path: string, message: string | RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.path, path);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('resolveTrainConfig', () => {
  test('defaults to the mnist preset, as a copy', () => {
    const config = resolveTrainConfig(undefined);
    assert.deepEqual(config, PRESETS.mnist);
    config.latent.discrete.push(3);
    config.capacity.continuous.max = 99;
    assert.deepEqual(PRESETS.mnist.latent.discrete, [10]);
    assert.equal(PRESETS.mnist.capacity.continuous.max, 5);
  });

  test('merges preset <- input <- dotted overrides', () => {
    const config = resolveTrainConfig(
      { preset: 'dsprites', capacity: { continuous: { max: 20 } }, formulation: 'pytorch-vae', lr: 1e-4 },
      { 'capacity.discrete.gamma': 10, temperature: 0.5, lr: 1e-3, 'latent.discrete': [4, 5] },
    );
    assert.equal(config.preset, 'dsprites');
    assert.equal(config.imageSize, 64);
    assert.equal(config.formulation, 'pytorch-vae');
    assert.deepEqual(config.capacity.continuous, { min: 0, max: 20, iters: 300000, gamma: 150 });
    assert.deepEqual(config.capacity.discrete, { min: 0, max: 1.1, iters: 300000, gamma: 10 });
    assert.equal(config.temperature, 0.5);
    assert.equal(config.lr, 1e-3);
    assert.deepEqual(config.latent, { continuous: 6, discrete: [4, 5] });
  });

  test('an override can pick the preset', () => {
    assert.equal(resolveTrainConfig({}, { preset: 'fashion' }).capacity.discrete.max, 10);
  });

  test('does not keep references to its input', () => {
    const discrete = [3, 4];
    const config = resolveTrainConfig({ latent: { discrete } });
    discrete.push(5);
    assert.deepEqual(config.latent.discrete, [3, 4]);
  });

  const bad: [string, unknown, Record<string, unknown>, string, string | RegExp][] = [
    ['negative iters', { capacity: { continuous: { iters: -3 } } }, {}, 'capacity.continuous.iters',
      'capacity.continuous.iters: must be a positive number, got -3'],
    ['unknown key', { capacity: { continuous: { maxx: 1 } } }, {}, 'capacity.continuous.maxx',
      'capacity.continuous.maxx: unknown key'],
    ['unknown override path', {}, { 'capacity.cont.max': 1 }, 'capacity.cont', 'capacity.cont: unknown key'],
    ['unknown top-level key', { learningRate: 1 }, {}, 'learningRate', 'learningRate: unknown key'],
    ['fractional batch', {}, { batchSize: 2.5 }, 'batchSize', /batchSize: must be an integer from 1 to .*, got 2.5/],
    ['zero batch', { batchSize: 0 }, {}, 'batchSize', /got 0$/],
    ['image size', { imageSize: 48 }, {}, 'imageSize', 'imageSize: must be one of 32, 64, got 48'],
    ['category size', {}, { 'latent.discrete': [10, 1] }, 'latent.discrete',
      'latent.discrete: must be a non-empty array of at most 64 integers from 2 to 1024, got [10,1]'],
    ['no categoricals', {}, { 'latent.discrete': [] }, 'latent.discrete', /non-empty/],
    ['formulation', { formulation: 'beta' }, {}, 'formulation',
      'formulation: must be one of "dupont", "pytorch-vae", got "beta"'],
    ['preset', { preset: 'cifar' }, {}, 'preset', /preset: must be one of "mnist", "fashion", "dsprites", got "cifar"/],
    ['max below min', { capacity: { discrete: { min: 2, max: 1 } } }, {}, 'capacity.discrete.max',
      'capacity.discrete.max: must be >= min (2), got 1'],
    ['string number', {}, { lr: '1e-3' }, 'lr', 'lr: must be a positive number, got "1e-3"'],
    ['NaN', {}, { temperature: Number.NaN }, 'temperature', 'temperature: must be a positive number, got NaN'],
    ['object replaced by scalar', { latent: 5 }, {}, 'latent', 'latent: must be an object, got 5'],
    ['not an object', [1, 2], {}, 'config', 'config: must be an object, got [1,2]'],
    ['seed too large', { seed: 2 ** 32 }, {}, 'seed', /seed: must be an integer from 0 to 4294967295/],
    ['interval', {}, { 'temperatureAnneal.interval': 0 }, 'temperatureAnneal.interval', /got 0$/],
    // Sizes that would allocate gigabytes, or train for ever, are typos.
    ['huge batch', {}, { batchSize: 1e8 }, 'batchSize', 'batchSize: must be an integer from 1 to 8192, got 100000000'],
    ['huge continuous latent', { latent: { continuous: 1e9 } }, {}, 'latent.continuous',
      'latent.continuous: must be an integer from 1 to 1024, got 1000000000'],
    ['huge category', {}, { 'latent.discrete': [10, 1e6] }, 'latent.discrete',
      'latent.discrete: must be a non-empty array of at most 64 integers from 2 to 1024, got [10,1000000]'],
    ['too many categoricals', {}, { 'latent.discrete': new Array(65).fill(2) }, 'latent.discrete', /at most 64 integers/],
    ['endless steps', {}, { steps: 1e12 }, 'steps', 'steps: must be an integer from 1 to 1000000000, got 1000000000000'],
    ['eval cadence', {}, { evalEvery: 1e12 }, 'evalEvery', /from 0 to 1000000000/],
    ['threads', {}, { threads: 1000 }, 'threads', 'threads: must be an integer from 0 to 256, got 1000'],
  ];
  for (const [name, input, overrides, path, message] of bad) {
    test(`rejects ${name}, naming ${path}`, () => {
      assertConfigError(() => resolveTrainConfig(input, overrides), path, message);
    });
  }

  test('every leaf is validated', () => {
    for (const path of configPaths(PRESETS.mnist)) {
      assertConfigError(() => resolveTrainConfig({}, { [path]: null }), path, new RegExp(`^${path}: .*got null$`));
    }
  });
});

describe('checkTrainConfig', () => {
  test('accepts every preset and a resolved config as they are', () => {
    for (const preset of Object.values(PRESETS)) assert.deepEqual(checkTrainConfig(structuredClone(preset)), preset);
    const config = resolveTrainConfig({ preset: 'dsprites' }, { 'latent.discrete': [3, 4], batchSize: 16 });
    assert.deepEqual(checkTrainConfig(JSON.parse(JSON.stringify(config))), config);
    const { preset: _, ...custom } = config;
    assert.deepEqual(checkTrainConfig(custom), custom, 'preset is optional');
  });

  test('fills nothing in: a missing, unknown or out-of-range field is a ConfigError naming it', () => {
    assertConfigError(() => checkTrainConfig({}), 'dataset', 'dataset: must be a non-empty string, got undefined');
    const { lr: _, ...noLr } = PRESETS.mnist;
    assertConfigError(() => checkTrainConfig(noLr), 'lr', 'lr: must be a positive number, got undefined');
    assertConfigError(() => checkTrainConfig({ ...PRESETS.mnist, extra: 1 }), 'extra', 'extra: unknown key');
    assertConfigError(
      () => checkTrainConfig({ ...PRESETS.mnist, latent: { continuous: 1e9, discrete: [10] } }),
      'latent.continuous',
      /from 1 to 1024, got 1000000000/,
    );
    assertConfigError(() => checkTrainConfig(null), 'config', 'config: must be an object, got null');
  });
});

describe('dotted paths', () => {
  test('configPaths lists every leaf; arrays are leaves', () => {
    const paths = configPaths(PRESETS.mnist);
    assert.ok(paths.includes('capacity.continuous.max'));
    assert.ok(paths.includes('latent.discrete'));
    assert.ok(paths.includes('temperatureAnneal.interval'));
    assert.ok(!paths.includes('latent'));
    assert.equal(paths.length, 25);
  });

  test('getByPath and setByPath', () => {
    const obj: Record<string, unknown> = { a: { b: 1 } };
    assert.equal(getByPath(obj, 'a.b'), 1);
    assert.equal(getByPath(obj, 'a.c'), undefined);
    assert.equal(getByPath(obj, 'a.b.c'), undefined);
    setByPath(obj, 'a.c.d', 2);
    setByPath(obj, 'a.b', 3);
    assert.deepEqual(obj, { a: { b: 3, c: { d: 2 } } });
    for (const path of configPaths(PRESETS.fashion)) {
      const copy = structuredClone(PRESETS.fashion) as unknown as Record<string, unknown>;
      setByPath(copy, path, 'x');
      assert.equal(getByPath(copy, path), 'x');
    }
  });
});

test('the light entry (settings.ts) imports no TensorFlow.js, directly or not', () => {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(fileURLToPath(new URL(file, import.meta.url)), 'utf8');
    for (const match of source.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
      const spec = match[1] ?? match[2];
      assert.ok(spec.startsWith('./'), `${file} imports ${spec}`);
      visit(spec.replace(/\.js$/, '.ts'));
    }
  };
  visit('./settings.ts');
  assert.ok(seen.has('./resolve.ts') && seen.has('./schedule.ts') && seen.has('./config.ts'));
});

import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BACKEND_REQUESTS } from '../backends.js';
import { BackendSelectionError, selectBackend } from './index.js';

const stockCpuFilterGradient = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu');

function installed(pkg: string): boolean {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const nativeInstalled = installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node');

describe('selectBackend', () => {
  const savedEnv = process.env.JVAE_BACKEND;
  afterEach(() => {
    if (savedEnv === undefined) delete process.env.JVAE_BACKEND;
    else process.env.JVAE_BACKEND = savedEnv;
  });

  test('rejects an unknown backend, naming the allowed ones', async () => {
    await assert.rejects(
      selectBackend('webgl'),
      (err: unknown) =>
        err instanceof BackendSelectionError &&
        /'webgl'/.test(err.message) &&
        /auto, tensorflow, wasm, cpu/.test(err.message),
    );
  });

  test('loads every backend the settings accept, or says why it cannot, never that it is unknown', async () => {
    for (const name of BACKEND_REQUESTS) {
      await selectBackend(name).then(
        (selection) => assert.ok(name === 'auto' || selection.name === name, name),
        (err: unknown) => assert.ok(err instanceof BackendSelectionError && !/unknown backend/.test(err.message), String(err)),
      );
    }
  });

  test('cpu: activates cpu with the faster gradient kernels', async () => {
    const selection = await selectBackend('cpu');
    assert.equal(selection.name, 'cpu');
    assert.match(selection.engine, /tfjs-backend-cpu/);
    assert.equal(selection.reason, undefined);
    assert.equal(tf.getBackend(), 'cpu');
    assert.notEqual(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu'), stockCpuFilterGradient);
  });

  test('wasm: activates wasm and says what runs it', async () => {
    const selection = await selectBackend('wasm');
    assert.equal(selection.name, 'wasm');
    assert.match(selection.engine, /tfjs-backend-wasm .*XNNPACK/);
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'), 'wasm can compute filter gradients');
  });

  test('tensorflow: fails clearly when neither native package is installed', { skip: nativeInstalled }, async () => {
    await assert.rejects(
      selectBackend('tensorflow'),
      (err: unknown) =>
        err instanceof BackendSelectionError &&
        /@tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node/.test(err.message) &&
        /neither is installed/.test(err.message),
    );
  });

  test('auto: takes the first backend that loads and says why', async () => {
    const selection = await selectBackend('auto');
    assert.equal(tf.getBackend(), selection.name);
    if (nativeInstalled) {
      assert.equal(selection.name, 'tensorflow');
    } else {
      assert.equal(selection.name, 'wasm');
      assert.match(selection.reason ?? '', /tensorflow unavailable: .*neither is installed/);
    }
  });

  test('defaults to JVAE_BACKEND, ignoring case and spaces', async () => {
    process.env.JVAE_BACKEND = ' CPU ';
    assert.equal((await selectBackend()).name, 'cpu');
    process.env.JVAE_BACKEND = 'gpu';
    await assert.rejects(selectBackend(), /unknown backend 'gpu' \(from JVAE_BACKEND\)/);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadProtos } from './protos.js';
import type { Trial, Trial__Output } from './generated/index.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

test('the generated types are up to date with the protos', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'tools/gen-proto-types.ts', '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
});

test('loadProtos exposes both services and caches the result', () => {
  const loaded = loadProtos();
  assert.equal(loadProtos(), loaded);
  assert.equal(typeof loaded.proto.jvae.v1.Coordinator, 'function');
  assert.equal(typeof loaded.proto.jvae.v1.GradSync, 'function');
  assert.deepEqual(Object.keys(loaded.proto.jvae.v1.GradSync.service), ['Ring']);
  assert.ok('UploadCheckpoint' in loaded.proto.jvae.v1.Coordinator.service);
});

test('messages decode with camelCase fields, numeric longs, enum names and defaults', () => {
  const method = loadProtos().proto.jvae.v1.Coordinator.service.BestTrial;
  const roundTrip = (trial: Trial): Trial__Output => {
    const decoded = method.responseDeserialize(method.responseSerialize({ trial })).trial;
    assert.ok(decoded);
    return decoded;
  };

  const full = roundTrip({
    id: 't1',
    sweepId: 's1',
    state: 'RUNNING',
    step: 2 ** 40,
    metric: 0,
    metrics: { loss: 12.5 },
    workers: ['w1', 'w2'],
  });
  assert.equal(full.sweepId, 's1');
  assert.equal(full.state, 'RUNNING');
  assert.equal(full.step, 2 ** 40);
  assert.equal(full.metric, 0, 'an explicit 0 metric survives');
  assert.deepEqual(full.metrics, { loss: 12.5 });
  assert.deepEqual(full.workers, ['w1', 'w2']);

  const empty = roundTrip({ id: 't2' });
  assert.equal(empty.state, 'STATE_UNSPECIFIED');
  assert.equal(empty.step, 0);
  assert.equal(empty.paramsJson, '');
  assert.deepEqual(empty.workers, []);
  assert.equal(empty.checkpoint, null);
  assert.equal(empty.metric, undefined, 'an unreported metric stays unset');
});

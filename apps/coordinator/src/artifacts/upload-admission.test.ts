import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { TrialRecord } from '@jvae/store';
import { checkUploadAdmitted } from './upload-admission.js';

const trial = (patch: Partial<TrialRecord>) => ({ id: 's.t0', state: 'running', workers: ['w-1'], totalSteps: 100, ...patch }) as TrialRecord;
const refused = (code: grpc.status, details: RegExp) => (err: unknown) => {
  assert.equal((err as { code?: number }).code, code);
  assert.match((err as Error).message, details);
  return true;
};

test('the worker running the trial may upload at any step from 0 to its steps', () => {
  for (const step of [0, 50, 100]) checkUploadAdmitted(trial({}), { step, workerId: 'w-1' });
  checkUploadAdmitted(trial({ workers: ['w-0', 'w-1'] }), { step: 1, workerId: 'w-1' });
});

test('a trial that is not running takes no checkpoint, whatever its state', () => {
  for (const state of ['queued', 'completed', 'stopped', 'failed', 'cancelled'] as const) {
    assert.throws(
      () => checkUploadAdmitted(trial({ state, workers: [] }), { step: 1, workerId: 'w-1' }),
      refused(grpc.status.FAILED_PRECONDITION, new RegExp(`^trial 's\\.t0' is ${state}: checkpoints are accepted only while it runs$`)),
    );
  }
});

test('only the worker the trial runs on may upload, and it must say who it is', () => {
  assert.throws(() => checkUploadAdmitted(trial({}), { step: 1, workerId: '' }), refused(grpc.status.INVALID_ARGUMENT, /^trial 's\.t0': the manifest's worker_id is empty/));
  assert.throws(
    () => checkUploadAdmitted(trial({}), { step: 1, workerId: 'w-2' }),
    refused(grpc.status.FAILED_PRECONDITION, /^trial 's\.t0' runs on worker w-1, not on worker 'w-2'$/),
  );
});

test('a step beyond the trial\'s steps is refused', () => {
  assert.throws(() => checkUploadAdmitted(trial({}), { step: 101, workerId: 'w-1' }), refused(grpc.status.INVALID_ARGUMENT, /^trial 's\.t0': step 101 is beyond its 100 steps$/));
});

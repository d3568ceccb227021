// PBT decisions applied to a real store (Redis, under a key prefix of this file's own); the
// checkpoint files are the coordinator's, so copies are kept in memory here.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newCheckpointId, SweepStore, type CheckpointRecord } from '@jvae/store';
import { testRedis } from '@jvae/store/testing';
import { expandTrials, parseSweepSpec } from '@jvae/sweep';
import { PbtScheduler, type CheckpointCopier } from './pbt-scheduler.js';

const { redis, prefix, cleanup } = testRedis();
const store = new SweepStore(redis, prefix);
const logged: string[] = [];

after(cleanup);

class MemoryCopier implements CheckpointCopier {
  readonly copies: CheckpointRecord[] = [];
  readonly removed: string[] = [];
  async copy(checkpoint: CheckpointRecord, trialId: string): Promise<CheckpointRecord> {
    const copy = { ...checkpoint, id: newCheckpointId(), trialId, location: `copies/${trialId}` };
    this.copies.push(copy);
    return copy;
  }
  async remove(checkpoints: readonly CheckpointRecord[]): Promise<void> {
    this.removed.push(...checkpoints.map((c) => c.id));
  }
}

/** A PBT sweep of `count` trials of 40 steps deciding every 10, the given ones running. */
async function pbtSweep(count: number, running: number) {
  const specText = JSON.stringify({
    name: 'pbt-scheduler-test',
    method: 'random',
    run_cap: count,
    seed: 4,
    train: { preset: 'mnist', steps: 40, checkpointEvery: 10 },
    metric: { name: 'loss', goal: 'minimize' },
    scheduler: {
      type: 'pbt',
      interval: 10,
      quantile: 0.25,
      mutations: { 'capacity.continuous.max': { factors: [0.5, 2] }, lr: { values: [1e-4, 1e-3, 1e-2] } },
    },
    parameters: { lr: { values: [1e-4, 1e-3, 1e-2] } },
  });
  const spec = parseSweepSpec(specText);
  const sweep = await store.createSweep({ specText, spec, plans: expandTrials(spec) });
  const ids = await store.trialIds(sweep.id);
  for (const id of ids.slice(0, running)) await store.transitionTrial(id, ['queued'], 'running', { workers: ['w'] });
  return { sweep, ids };
}

async function checkpointAt(trialId: string, step: number): Promise<CheckpointRecord> {
  const record = { id: newCheckpointId(), trialId, step, files: [], createdAt: Date.now(), location: `own/${trialId}` };
  await store.addCheckpoint(record);
  return record;
}

/** Reports the loss at `step` and applies it as the scheduler would on the eval event. */
async function evaluate(pbt: PbtScheduler, trialId: string, step: number, loss: number): Promise<void> {
  await store.recordEval(trialId, step, { loss });
  const trial = await store.requireTrial(trialId);
  await pbt.apply((await store.requireSweep(trial.sweepId)), trial, step, loss);
}

describe('PbtScheduler', () => {
  it('has the worst of the population at an interval continue from the best one’s checkpoint, perturbed, once', async () => {
    const copier = new MemoryCopier();
    const pbt = new PbtScheduler(store, copier, (line) => logged.push(line));
    const { ids } = await pbtSweep(4, 4);
    const [best, , , worst] = ids as [string, string, string, string];
    const own = await checkpointAt(worst, 10);
    const donorCheckpoint = await checkpointAt(best, 10);
    await checkpointAt(best, 20);
    for (const [i, id] of ids.slice(0, 3).entries()) await evaluate(pbt, id, 10, 1 + i);
    assert.equal(copier.copies.length, 0, 'three measured: a quarter of them is no trial');
    const donor = await store.requireTrial(best);
    await evaluate(pbt, worst, 10, 9);

    const trial = await store.requireTrial(worst);
    const [copy] = copier.copies;
    assert.ok(copy, logged.join('\n'));
    assert.equal(copy.step, 10, 'the donor’s checkpoint of the interval step, not its later one');
    assert.deepEqual([copy.trialId, trial.checkpointId, trial.checkpointStep], [worst, copy.id, 10]);
    assert.deepEqual((await store.listCheckpoints(worst)).map((c) => c.id), [copy.id], 'its own checkpoints are dropped');
    assert.deepEqual(copier.removed, [own.id]);
    assert.equal(await store.stopRequest(worst), 'exploit');
    assert.equal(trial.seed, donor.seed);
    assert.equal(trial.config.seed, donor.config.seed);

    const [entry] = trial.lineage;
    assert.deepEqual({ ...entry, changes: undefined }, { step: 10, from: best, decidedAt: 10, checkpointId: copy.id, changes: undefined });
    const max = entry!.changes['capacity.continuous.max']!;
    assert.equal(max.from, donor.config.capacity.continuous.max);
    assert.ok([max.from * 0.5, max.from * 2].includes(max.to as number), JSON.stringify(max));
    assert.equal(trial.config.capacity.continuous.max, max.to);
    assert.equal(trial.config.lr, entry!.changes.lr!.to);
    assert.equal(entry!.changes.lr!.from, donor.config.lr);
    assert.deepEqual(
      trial.schedule.map((s) => [s.step, s.trialId, s.settings.lr, s.capacity.continuous.max]),
      [
        [0, best, donor.config.lr, donor.config.capacity.continuous.max],
        [10, worst, trial.config.lr, trial.config.capacity.continuous.max],
      ],
    );
    assert.notEqual(donorCheckpoint.id, copy.id);

    // The event again (a coordinator that died before acknowledging it): nothing changes.
    await pbt.apply(await store.requireSweep(trial.sweepId), await store.requireTrial(worst), 10, 9);
    assert.equal(copier.copies.length, 1);
    assert.equal((await store.requireTrial(worst)).lineage.length, 1);

    // Until its next attempt, the exploiting trial takes no checkpoint of its own.
    const late = await store.addCheckpoint({ id: newCheckpointId(), trialId: worst, step: 12, files: [], createdAt: Date.now(), location: 'late' });
    assert.match(late.refused ?? '', /continues from another trial's checkpoint/);
    assert.equal((await store.requireTrial(worst)).checkpointId, copy.id);
    // Nor does it complete on its own weights (its worker trained to the end before it saw the request).
    assert.deepEqual(await store.transitionTrial(worst, ['running'], 'completed', { step: 40 }), { applied: false, previous: 'running', exploited: true });
    // Its worker queues it again; the next attempt clears the request and may store checkpoints.
    await store.transitionTrial(worst, ['running'], 'queued', { step: 10, workers: [] });
    await store.transitionTrial(worst, ['queued'], 'running', { workers: ['w2'] });
    assert.equal(await store.stopRequest(worst), null);
    assert.equal((await store.addCheckpoint({ ...own, id: newCheckpointId(), step: 20 })).latest, true);
  });

  it('pauses a trial at an interval while a member waits in the queue behind it, and decides once all are measured', async () => {
    const pbt = new PbtScheduler(store, new MemoryCopier(), (line) => logged.push(line));
    const { ids } = await pbtSweep(4, 2);
    const [a, b, c, d] = ids as [string, string, string, string];
    await evaluate(pbt, a, 10, 1);
    assert.equal(await store.stopRequest(a), 'pause');
    assert.equal((await store.requireTrial(a)).pbtStep, 0, 'not decided before the population is measured');
    // Its worker queues it again from the checkpoint of step 10; the others get workers.
    await store.transitionTrial(a, ['running'], 'queued', { step: 10, workers: [] });
    for (const id of [c, d]) await store.transitionTrial(id, ['queued'], 'running', { workers: ['w'] });
    assert.equal(await store.stopRequest(a), 'pause', 'the request stands until a new attempt');
    await evaluate(pbt, b, 10, 2);
    assert.equal(await store.stopRequest(b), null, 'nobody waits behind it: the others behind are running');
    await evaluate(pbt, c, 10, 3);
    assert.deepEqual((await store.getTrialsById(ids)).map((t) => t.pbtStep), [0, 0, 0, 0]);
    await evaluate(pbt, d, 10, 4);
    const decided = await store.getTrialsById(ids);
    assert.deepEqual(decided.map((t) => t.pbtStep), [10, 10, 10, 0], 'decided once the last one is measured; the worst waits for its donor');
    assert.deepEqual(decided.map((t) => t.lineage.length), [0, 0, 0, 0], 'the donor (a) has not stored its checkpoint of step 10 yet');
    // The donor's checkpoint of the interval arrives (the scheduler applies its checkpoint event).
    await checkpointAt(a, 10);
    const donor = await store.requireTrial(a);
    await pbt.checkpointStored(await store.requireSweep(donor.sweepId), donor, 10);
    const worst = await store.requireTrial(d);
    assert.deepEqual(worst.lineage.map((e) => [e.from, e.step, e.decidedAt]), [[a, 10, 10]]);
    assert.equal(worst.pbtStep, 10);
    await store.transitionTrial(a, ['queued'], 'running', { workers: ['w'] });
    assert.equal(await store.stopRequest(a), null, 'a new attempt clears the pause');
  });

  it('exploits a trial waiting in the queue: it resumes from the copy, no stop needed', async () => {
    const copier = new MemoryCopier();
    const pbt = new PbtScheduler(store, copier, (line) => logged.push(line));
    const { ids } = await pbtSweep(4, 2);
    const [a, b, c, d] = ids as [string, string, string, string];
    for (const id of [a, b]) await checkpointAt(id, 10);
    await evaluate(pbt, a, 10, 9);
    await evaluate(pbt, b, 10, 2);
    for (const id of [a, b]) await store.transitionTrial(id, ['running'], 'queued', { step: 10, workers: [] });
    for (const id of [c, d]) await store.transitionTrial(id, ['queued'], 'running', { workers: ['w'] });
    await evaluate(pbt, c, 10, 1);
    await checkpointAt(c, 10);
    await evaluate(pbt, d, 10, 3);
    const exploited = await store.requireTrial(a);
    assert.equal(exploited.state, 'queued');
    assert.deepEqual(exploited.lineage.map((e) => [e.from, e.step]), [[c, 10]]);
    assert.equal(exploited.checkpointId, copier.copies[0]!.id);
    assert.equal(exploited.step, 10);
    assert.equal(await store.stopRequest(a), 'pause', 'only the earlier pause request, which its next attempt clears');
    assert.deepEqual((await store.getTrialsById([b, c, d])).map((t) => t.lineage.length), [0, 0, 0]);
  });

  it('lets a cancel stand over an exploit, and exploits no trial being cancelled', async () => {
    const copier = new MemoryCopier();
    const pbt = new PbtScheduler(store, copier, (line) => logged.push(line));
    const { ids } = await pbtSweep(4, 4);
    await checkpointAt(ids[0]!, 10);
    for (const [i, id] of ids.slice(0, 3).entries()) await evaluate(pbt, id, 10, 1 + i);
    await store.requestStop(ids[3]!, 'cancel');
    await evaluate(pbt, ids[3]!, 10, 9);
    assert.equal(await store.stopRequest(ids[3]!), 'cancel');
    assert.deepEqual((await store.requireTrial(ids[3]!)).lineage, []);
    assert.deepEqual(copier.removed, copier.copies.map((c) => c.id), 'a copy made for an exploit not applied is removed');
  });
});

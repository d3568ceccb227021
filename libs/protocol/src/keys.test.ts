import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidIdError, bullPrefix, checkId, keys } from './keys.js';

test('every key lives under the prefix and names its object', () => {
  const k = keys('jv-test');
  const all = [
    k.sweeps(),
    k.sweep('s1'),
    k.sweepTrials('s1'),
    k.sweepEvents('s1'),
    k.sweepRung('s1', 100),
    k.trial('t1'),
    k.trialMetrics('t1'),
    k.trialCheckpoints('t1'),
    k.trialStop('t1'),
    k.checkpoint('c1'),
    k.workers(),
    k.events(),
    k.rendezvous('t1'),
    `${bullPrefix('jv-test')}:trials:wait`,
  ];
  assert.equal(new Set(all).size, all.length, 'keys are distinct');
  for (const key of all) assert.ok(key.startsWith('jv-test:'), key);
  assert.equal(k.sweep('s1'), 'jv-test:sweep:s1');
  assert.equal(k.trialMetrics('t1'), 'jv-test:trial:t1:metrics');
  assert.equal(k.pattern(), 'jv-test:*');
  assert.equal(k.sweepRung('s1', 100), 'jv-test:sweep:s1:rung:100');
  assert.equal(k.trialStop('t1'), 'jv-test:trial:t1:stop');
  assert.equal(k.events(), 'jv-test:events');
});

test('ids that could forge other keys or paths are refused', () => {
  const k = keys('jvae');
  for (const bad of ['', 'a:b', 'a b', '../x', '..', 'x/y', 'x*', 'é', 'a'.repeat(129)]) {
    assert.throws(() => k.trial(bad), InvalidIdError, JSON.stringify(bad));
  }
  assert.equal(checkId('trial', 'sw-1.t_003'), 'sw-1.t_003');
  assert.throws(() => keys('a:b'), /invalid key prefix/);
  for (const bad of [0, -1, 1.5, NaN]) assert.throws(() => k.sweepRung('s1', bad), /invalid ASHA rung/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attemptDirPrefix, removeStaleWorkDirs } from './stale-work-dirs.js';

test("removes the attempt directories of dead workers only, and nothing else", async () => {
  const workDir = await mkdtemp(join(tmpdir(), 'jvae-stale-test-'));
  try {
    // A process that has exited: its pid names a dead worker.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    assert.ok(dead);
    const names = {
      deadAttempt: `jvae-${dead}-t1-abc`,
      ownAttempt: `${attemptDirPrefix('t2')}def`,
      parentAttempt: `jvae-${process.ppid}-t3-ghi`,
      unrelated: 'jvae-cache',
      file: `jvae-${dead}-t4-file`,
    };
    for (const name of [names.deadAttempt, names.ownAttempt, names.parentAttempt, names.unrelated]) {
      await mkdir(join(workDir, name, 'checkpoint'), { recursive: true });
    }
    await writeFile(join(workDir, names.file), 'not a directory');

    const removed = await removeStaleWorkDirs(workDir);
    assert.deepEqual(removed, [names.deadAttempt]);
    assert.deepEqual(
      (await readdir(workDir)).sort(),
      [names.ownAttempt, names.parentAttempt, names.unrelated, names.file].sort(),
    );
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
});

test('a work directory that does not exist yet has nothing stale', async () => {
  assert.deepEqual(await removeStaleWorkDirs(join(tmpdir(), 'jvae-no-such-dir-for-test')), []);
});

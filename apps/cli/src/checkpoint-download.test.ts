import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkReplaceable } from './checkpoint-download.js';

test('a target is replaceable when missing, empty or a checkpoint; a file or a directory of other files is refused', async () => {
  const root = await mkdtemp(join(tmpdir(), 'jvae-cli-replaceable-'));
  try {
    await checkReplaceable(join(root, 'missing'));
    await mkdir(join(root, 'empty'));
    await checkReplaceable(join(root, 'empty'));
    await mkdir(join(root, 'checkpoint'));
    await writeFile(join(root, 'checkpoint', 'manifest.json'), '{}');
    await checkReplaceable(join(root, 'checkpoint'));

    await mkdir(join(root, 'home'));
    await writeFile(join(root, 'home', 'notes.txt'), 'mine');
    await writeFile(join(root, 'file'), 'mine');
    for (const taken of ['home', 'file']) {
      await assert.rejects(checkReplaceable(join(root, taken)), { message: `${join(root, taken)} exists and is not a checkpoint directory; choose another --out` });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

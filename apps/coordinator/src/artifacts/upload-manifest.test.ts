import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidIdError } from '@jvae/protocol';
import { UploadError } from './upload-error.js';
import { checkRelativePath, checkUploadManifest } from './upload-manifest.js';

const SHA = 'a'.repeat(64);

describe('checkRelativePath', () => {
  it('accepts nested relative names', () => {
    assert.equal(checkRelativePath('encoder/model.json'), 'encoder/model.json');
    assert.equal(checkRelativePath('.hidden_file-1'), '.hidden_file-1');
  });

  it('refuses anything that could leave the directory or is not a plain name', () => {
    for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a/./b', 'a//b', 'a\\b', 'C:x', 'a b', 'é', 'a/', '.', '..', 'a'.repeat(513), 'a/'.repeat(8) + 'b']) {
      assert.throws(() => checkRelativePath(bad), UploadError, JSON.stringify(bad));
    }
    assert.throws(() => checkRelativePath(5), /non-empty string/);
  });
});

describe('checkUploadManifest', () => {
  const file = (path: string, size = 1, sha256 = SHA) => ({ path, size, sha256 });

  it('returns the checked manifest', () => {
    assert.deepEqual(checkUploadManifest({ trialId: 't-1', step: '20', files: [file('a'), file('b/c', 0)] }), {
      trialId: 't-1',
      step: 20,
      files: [file('a'), file('b/c', 0)],
    });
  });

  it('names what is wrong', () => {
    assert.throws(() => checkUploadManifest({ trialId: 'a/b', files: [file('a')] }), InvalidIdError);
    assert.throws(() => checkUploadManifest({ trialId: 't', step: -1, files: [file('a')] }), /step/);
    assert.throws(() => checkUploadManifest({ trialId: 't', files: [] }), /lists no files/);
    assert.throws(() => checkUploadManifest({ trialId: 't', files: [file('a'), file('a')] }), /file 'a': listed twice/);
    assert.throws(() => checkUploadManifest({ trialId: 't', files: [file('a', 1, 'XYZ')] }), /file 'a': sha256/);
    assert.throws(() => checkUploadManifest({ trialId: 't', files: [file('a', -3)] }), /file 'a': size/);
    assert.throws(() => checkUploadManifest({ trialId: 't', files: [file('a'), file('a/b')] }), /'a\/b'.*'a' is also listed/);
    assert.throws(
      () => checkUploadManifest({ trialId: 't', files: [file('a', 6), file('b', 6)] }, { maxFiles: 10, maxBytes: 10 }),
      /more than 10 bytes/,
    );
    assert.throws(() => checkUploadManifest({ trialId: 't', files: [file('a'), file('b')] }, { maxFiles: 1, maxBytes: 10 }), /more than 1 files/);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidIdError } from '@jvae/protocol';
import { ArtifactError } from './artifact-error.js';
import { checkManifest, checkRelativePath, checkSha256 } from './checkpoint-manifest.js';

const SHA = 'a'.repeat(64);
const file = (path: string, size: number | string = 1, sha256 = SHA) => ({ path, size, sha256 });
const invalid = (pattern: RegExp) => (err: unknown) => err instanceof ArtifactError && err.reason === 'invalid' && pattern.test(err.message);

describe('checkRelativePath', () => {
  it('accepts nested relative names of letters, digits, dots, dashes and underscores', () => {
    for (const good of ['encoder/model.json', '.hidden_file-1', 'a/b/c/d/e/f/g/h', 'x'.repeat(512)]) assert.equal(checkRelativePath(good), good);
  });

  it('refuses traversal, absolute paths and names that are not plain', () => {
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', '..', '.', 'a/./b', 'a//b', 'a/', 'a\\b', 'C:x', 'a b', 'é', 'a\0b']) {
      assert.throws(() => checkRelativePath(bad), invalid(/no '\.\.', no leading '\/'/), JSON.stringify(bad));
    }
  });

  it('refuses paths too long or too deep, and anything but a non-empty string', () => {
    assert.throws(() => checkRelativePath('a'.repeat(513)), invalid(/longer than 512 characters/));
    assert.throws(() => checkRelativePath('a/'.repeat(8) + 'b'), invalid(/deeper than 8 levels/));
    for (const bad of ['', 5, null, undefined]) assert.throws(() => checkRelativePath(bad), invalid(/non-empty string/));
  });
});

describe('checkSha256', () => {
  it('accepts 64 lower-case hex digits only', () => {
    assert.equal(checkSha256(SHA, 'f'), SHA);
    for (const bad of ['A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), 'g'.repeat(64), '', undefined]) {
      assert.throws(() => checkSha256(bad, 'f'), invalid(/^checkpoint file 'f': sha256 must be 64 lower-case hex digits/), String(bad));
    }
  });
});

describe('checkManifest', () => {
  it('returns the checked manifest, numbers as numbers', () => {
    assert.deepEqual(checkManifest({ trialId: 't-1', step: '20', files: [file('a'), file('b/c', '0')] }), {
      trialId: 't-1',
      step: 20,
      files: [file('a'), file('b/c', 0)],
    });
  });

  it('names what is wrong', () => {
    assert.throws(() => checkManifest({ trialId: 'a/b', files: [file('a')] }), InvalidIdError);
    assert.throws(() => checkManifest({ files: [file('a')] }), InvalidIdError);
    assert.throws(() => checkManifest({ trialId: 't', step: -1, files: [file('a')] }), invalid(/the manifest step must be a non-negative integer \(got -1\)/));
    assert.throws(() => checkManifest({ trialId: 't', step: 1.5, files: [file('a')] }), invalid(/step/));
    assert.throws(() => checkManifest({ trialId: 't', files: [] }), invalid(/lists no files/));
    assert.throws(() => checkManifest({ trialId: 't', files: [file('a'), file('a')] }), invalid(/file 'a': listed twice/));
    assert.throws(() => checkManifest({ trialId: 't', files: [file('a', 1, SHA.toUpperCase())] }), invalid(/file 'a': sha256/));
    assert.throws(() => checkManifest({ trialId: 't', files: [file('a', 1, 'abc')] }), invalid(/file 'a': sha256/));
    assert.throws(() => checkManifest({ trialId: 't', files: [file('a', -3)] }), invalid(/file 'a': size must be a non-negative integer/));
    assert.throws(() => checkManifest({ trialId: 't', files: [file('../a')] }), invalid(/"\.\.\/a"/));
    assert.throws(() => checkManifest({ trialId: 't', files: [file('a'), file('a/b')] }), invalid(/'a\/b'.*'a' is also listed/));
  });

  it('holds a manifest to the limits it is given', () => {
    const limits = { maxFiles: 2, maxBytes: 10 };
    assert.throws(() => checkManifest({ trialId: 't', files: [file('a', 6), file('b', 6)] }, limits), invalid(/more than 10 bytes/));
    assert.throws(() => checkManifest({ trialId: 't', files: [file('a'), file('b'), file('c')] }, limits), invalid(/more than 2 files/));
    assert.equal(checkManifest({ trialId: 't', files: [file('a', 6), file('b', 6)] }).files.length, 2);
  });
});

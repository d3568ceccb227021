import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { PROTO_ROOT } from './protos.js';
import { invalidUtf8Field } from './strict-decoding.js';

const root = protobuf.loadSync(join(PROTO_ROOT, 'jvae/v1/coordinator.proto'));
const SubmitSweepRequest = root.lookupType('jvae.v1.SubmitSweepRequest');
const CheckpointChunk = root.lookupType('jvae.v1.CheckpointChunk');

/** A length-delimited field `number` holding `bytes`. */
function field(writer: protobuf.Writer, number: number, bytes: Uint8Array): protobuf.Writer {
  return writer.uint32((number << 3) | 2).bytes(bytes);
}

const LATIN1 = Buffer.from('caf\xe9', 'latin1');

test('a message whose strings are UTF-8 (U+FFFD included) has no invalid field', () => {
  assert.equal(invalidUtf8Field(SubmitSweepRequest, SubmitSweepRequest.encode({ spec: 'name: café-\ufffd' }).finish()), undefined);
  const chunk = CheckpointChunk.encode({ manifest: { trialId: 't', files: [{ path: 'a', sha256: 'b', size: 1 }] } }).finish();
  assert.equal(invalidUtf8Field(CheckpointChunk, chunk), undefined);
});

test('names the first string field that is not UTF-8, nested and repeated ones by their path', () => {
  assert.equal(invalidUtf8Field(SubmitSweepRequest, field(protobuf.Writer.create(), 1, LATIN1).finish()), 'spec');
  const files = [Buffer.from('ok'), LATIN1].map((path) => field(protobuf.Writer.create(), 1, path).finish());
  const info = files.reduce((writer, file) => field(writer, 4, file), field(protobuf.Writer.create(), 2, Buffer.from('trial'))).finish();
  assert.equal(invalidUtf8Field(CheckpointChunk, field(protobuf.Writer.create(), 1, info).finish()), 'manifest.files[1].path');
  // FileChunk.data is bytes, not a string; unknown fields are skipped.
  const data = field(protobuf.Writer.create(), 3, LATIN1).finish();
  assert.equal(invalidUtf8Field(CheckpointChunk, field(field(protobuf.Writer.create(), 2, data), 9, LATIN1).finish()), undefined);
});

test('throws on bytes that are not well-formed fields', () => {
  assert.throws(() => invalidUtf8Field(SubmitSweepRequest, Uint8Array.from([0x0a, 0x7f, 0x61])), /index out of range/);
  assert.throws(() => invalidUtf8Field(SubmitSweepRequest, Uint8Array.from([0x0f])), /invalid wire type/);
});

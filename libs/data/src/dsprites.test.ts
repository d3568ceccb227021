import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { DataError } from './data-error.js';
import { loadDataset } from './load-dataset.js';

const root = mkdtempSync(join(tmpdir(), 'jvae-npz-'));
after(() => rmSync(root, { recursive: true, force: true }));

const COUNT = 12;

function npy(descr: string, shape: number[], data: Buffer): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n'; // numpy pads the header to a multiple of 64
  const preamble = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, 0, 0]);
  preamble.writeUInt16LE(header.length, 8);
  return Buffer.concat([preamble, Buffer.from(header, 'latin1'), data]);
}

/** A zip archive written by hand: local headers, data, central directory, end record. */
function zip(members: Record<string, Buffer>, options: { deflate: boolean; zip64?: boolean }): Buffer {
  const parts: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(members)) {
    const data = options.deflate ? deflateRawSync(content) : content;
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(options.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(content), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(content.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const extra = options.zip64 ? Buffer.alloc(28) : Buffer.alloc(0);
    if (options.zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(content.length), 4);
      extra.writeBigUInt64LE(BigInt(data.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(45, 4);
    entry.writeUInt16LE(45, 6);
    entry.writeUInt16LE(options.deflate ? 8 : 0, 10);
    entry.writeUInt32LE(crc32(content), 16);
    entry.writeUInt32LE(options.zip64 ? 0xffffffff : data.length, 20);
    entry.writeUInt32LE(options.zip64 ? 0xffffffff : content.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt16LE(extra.length, 30);
    entry.writeUInt32LE(options.zip64 ? 0xffffffff : offset, 42);
    directory.push(entry, nameBytes, extra);
    parts.push(local, nameBytes, data);
    offset += local.length + nameBytes.length + data.length;
  }
  const directoryBytes = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(members).length, 8);
  end.writeUInt16LE(Object.keys(members).length, 10);
  end.writeUInt32LE(directoryBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directoryBytes, end]);
}

/** Image i lights the pixels p with (p·7 + i) mod 13 = 0; its latents encode i as the orientation. */
function pixelOf(sample: number, p: number): number {
  return (p * 7 + sample) % 13 === 0 ? 1 : 0;
}

function dspritesMembers(count = COUNT, side = 64): Record<string, Buffer> {
  const imgs = Buffer.alloc(count * side * side);
  for (let i = 0; i < count; i++) for (let p = 0; p < side * side; p++) imgs[i * side * side + p] = pixelOf(i, p);
  const latents = Buffer.alloc(count * 6 * 8);
  for (let i = 0; i < count; i++) {
    [0, i % 3, i % 2, i, (i * 5) % 4, 1].forEach((value, column) => latents.writeBigInt64LE(BigInt(value), (i * 6 + column) * 8));
  }
  return {
    'imgs.npy': npy('|u1', [count, side, side], imgs),
    'latents_classes.npy': npy('<i8', [count, 6], latents),
  };
}

let files = 0;
function write(bytes: Buffer): string {
  const path = join(root, `d${files++}.npz`);
  writeFileSync(path, bytes);
  return path;
}

for (const [label, options] of [
  ['stored', { deflate: false }],
  ['deflated', { deflate: true }],
  ['zip64 stored', { deflate: false, zip64: true }],
] as const) {
  test(`a hand-made ${label} dSprites .npz loads images, labels and factors`, async () => {
    const path = write(zip(dspritesMembers(), options));
    const dataset = await loadDataset(`dsprites:${path}`, { validationFraction: 0.25 });
    assert.equal(dataset.imageSize, 64);
    assert.deepEqual(dataset.factorNames, ['shape', 'scale', 'orientation', 'posX', 'posY']);
    assert.deepEqual(dataset.factorSizes, [3, 2, COUNT, 4, 2]);
    assert.equal(dataset.labelCount, 3);
    assert.equal(dataset.train.count, 9);
    assert.equal(dataset.validation.count, 3);
    const seen = new Set<number>();
    for (const set of [dataset.train, dataset.validation]) {
      for (let k = 0; k < set.count; k++) {
        const row = [...set.factors!.subarray(k * 5, k * 5 + 5)];
        const sample = row[2]!;
        seen.add(sample);
        assert.deepEqual(row, [sample % 3, sample % 2, sample, (sample * 5) % 4, 1]);
        assert.equal(set.labels![k], sample % 3);
        for (let p = 0; p < 4096; p++) assert.equal(set.images[k * 4096 + p], pixelOf(sample, p));
      }
    }
    assert.equal(seen.size, COUNT);

    const limited = await loadDataset(`dsprites:${path}`, { validationFraction: 0.25, limit: 2 });
    assert.equal(limited.train.count, 2);
    assert.equal(limited.validation.count, 2);
    assert.deepEqual(limited.train.factors, dataset.train.factors!.subarray(0, 10));
  });
}

async function rejectsWith(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(loadDataset(`dsprites:${path}`, { validationFraction: 0.25 }), (error: unknown) => {
    assert.ok(error instanceof DataError, String(error));
    assert.ok(error.message.startsWith(path), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

test('a truncated .npz is a DataError naming the file', async () => {
  const bytes = zip(dspritesMembers(), { deflate: true });
  await rejectsWith(write(bytes.subarray(0, bytes.length - 40)), /not a zip archive/);
});

test('corrupt member data is a DataError naming the file and member', async () => {
  const stored = zip(dspritesMembers(), { deflate: false });
  stored[200] ^= 1; // a pixel of imgs.npy (past its 64-byte npy header) flips between 0 and 1
  await rejectsWith(write(stored), /member imgs\.npy: CRC-32 mismatch/);

  const deflated = zip(dspritesMembers(), { deflate: true });
  for (let i = 60; i < 90; i++) deflated[i] = 0xff;
  await rejectsWith(write(deflated), /member imgs\.npy: (corrupt data|CRC-32 mismatch|truncated)/);
});

test('wrong members, shapes and dtypes are DataErrors naming the file', async () => {
  const members = dspritesMembers();
  await rejectsWith(write(zip({ 'imgs.npy': members['imgs.npy']! }, { deflate: false })), /has no member latents_classes\.npy \(members: imgs\.npy\)/);
  await rejectsWith(write(zip(dspritesMembers(COUNT, 32), { deflate: true })), /imgs\.npy: wrong shape \(12, 32, 32\): expected \(N, 64, 64\)/);
  const fewer = dspritesMembers(COUNT - 1);
  await rejectsWith(
    write(zip({ 'imgs.npy': members['imgs.npy']!, 'latents_classes.npy': fewer['latents_classes.npy']! }, { deflate: false })),
    /holds 12 images but latents_classes\.npy has 11 rows/,
  );
  const floats = npy('<f8', [COUNT, 6], Buffer.alloc(COUNT * 48));
  await rejectsWith(write(zip({ ...members, 'latents_classes.npy': floats }, { deflate: false })), /unsupported dtype <f8/);
  await rejectsWith(join(root, 'absent.npz'), /cannot open/);
});

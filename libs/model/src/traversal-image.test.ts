import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import type { TraversalGrid } from './latent-traversal.js';
import { traversalPng } from './traversal-image.js';

/** CRC-32 (ISO-HDLC) bit by bit, as the PNG specification defines it. */
function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Reads an unfiltered 8-bit greyscale PNG, checking every chunk's CRC. */
function decodeGreyscalePng(png: Buffer): { width: number; height: number; pixels: Uint8Array } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const typed = png.subarray(at + 4, at + 8 + length);
    assert.equal(png.readUInt32BE(at + 8 + length), referenceCrc32(typed), 'chunk CRC');
    chunks.push({ type: typed.subarray(0, 4).toString('ascii'), data: typed.subarray(4) });
    at += 12 + length;
  }
  assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
  const header = chunks[0].data;
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  assert.deepEqual([...header.subarray(8)], [8, 0, 0, 0, 0]);
  const raw = inflateSync(chunks[1].data);
  assert.equal(raw.length, height * (width + 1));
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width + 1)], 0, 'filter type None');
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, pixels };
}

// Two rows of 2×2 images: three columns in the first, two in the second.
const grid: TraversalGrid = {
  imageSize: 2,
  columns: 3,
  fixedCategories: [0],
  rows: [
    { label: 'z0', kind: 'continuous', values: [-1, 0, 1], images: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]].map((p) => Uint8Array.from(p)) },
    { label: 'c0', kind: 'categorical', values: [0, 1], images: [[200, 201, 202, 203], [250, 251, 252, 253]].map((p) => Uint8Array.from(p)) },
  ],
};

test('traversalPng lays the tiles out row by row with gutters, each pixel scaled', () => {
  const { width, height, pixels } = decodeGreyscalePng(traversalPng(grid, { scale: 2, gutter: 1 }));
  // 3 tiles of 4 px and 4 gutters across; 2 tiles and 3 gutters down.
  assert.equal(width, 1 + 3 * 5);
  assert.equal(height, 1 + 2 * 5);
  const at = (x: number, y: number) => pixels[y * width + x];
  assert.equal(at(0, 0), 96, 'gutter');
  // Row 0, column 1 starts at x = 1 + 5 = 6, y = 1; its pixel (1, 0) (value 6) covers x 8–9, y 1–2.
  assert.deepEqual([at(8, 1), at(9, 1), at(8, 2), at(9, 2)], [6, 6, 6, 6]);
  assert.equal(at(6, 3), 7);
  // Row 1, column 0: y from 6; its last pixel (203) covers x 3–4, y 8–9.
  assert.equal(at(4, 9), 203);
  assert.equal(at(6 + 3, 6), 251);
  // Row 1 has no third column: that tile is black, its gutters grey.
  assert.equal(at(11, 7), 0);
  assert.equal(at(10, 7), 96);
});

test('traversalPng refuses a scale or gutter that is not a whole number of pixels', () => {
  assert.throws(() => traversalPng(grid, { scale: 0 }), /scale must be an integer ≥ 1/);
  assert.throws(() => traversalPng(grid, { gutter: 1.5 }), /gutter must be an integer ≥ 0/);
});

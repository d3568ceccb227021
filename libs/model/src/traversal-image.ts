/**
 * A latent traversal grid as one greyscale PNG, the picture a person opens first: one row of
 * tiles per traversal row (the continuous dimensions, then the categorical latents), its
 * columns left to right, a grey gutter between tiles. Rows shorter than the widest stay dark.
 */
import { crc32, deflateSync } from 'node:zlib';
import type { TraversalGrid } from './latent-traversal.js';

export interface TraversalImageOptions {
  /** Pixels per image pixel (default 2). */
  scale?: number;
  /** Gutter between tiles, in output pixels (default 2). */
  gutter?: number;
}

const GUTTER_GREY = 96;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function traversalPng(grid: TraversalGrid, options: TraversalImageOptions = {}): Buffer {
  const scale = integerAtLeast(1, options.scale ?? 2, 'scale');
  const gutter = integerAtLeast(0, options.gutter ?? 2, 'gutter');
  const tile = grid.imageSize * scale;
  const columns = Math.max(0, ...grid.rows.map((row) => row.images.length));
  const width = gutter + columns * (tile + gutter);
  const height = gutter + grid.rows.length * (tile + gutter);
  const pixels = new Uint8Array(width * height).fill(GUTTER_GREY);
  grid.rows.forEach((row, r) => {
    const top = gutter + r * (tile + gutter);
    for (let c = 0; c < columns; c++) {
      const left = gutter + c * (tile + gutter);
      const image = row.images[c];
      for (let y = 0; y < tile; y++) {
        const line = (top + y) * width + left;
        for (let x = 0; x < tile; x++) {
          pixels[line + x] = image ? image[Math.floor(y / scale) * grid.imageSize + Math.floor(x / scale)] : 0;
        }
      }
    }
  });
  return greyscalePng(pixels, width, height);
}

/** An 8-bit greyscale PNG of `pixels` (row-major), every scanline unfiltered. */
function greyscalePng(pixels: Uint8Array, width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, greyscale, deflate, adaptive filtering, no interlace
  const scanlines = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) scanlines.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(scanlines)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), 8 + data.length);
  return out;
}

function integerAtLeast(min: number, value: number, name: string): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`traversalPng: ${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes a small IDX dataset (the MNIST layout, read back as `idx:DIR`) of `train` and
 * `validation` 28×28 images: a bright square whose position depends on the label, so that
 * training has something to learn in a few steps: the tests' dataset.
 */
export async function writeIdxDataset(dir: string, train = 64, validation = 16): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [prefix, count] of [['train', train], ['t10k', validation]] as const) {
    const images = Buffer.alloc(16 + count * 28 * 28);
    images.writeUInt32BE(0x00000803, 0);
    images.writeUInt32BE(count, 4);
    images.writeUInt32BE(28, 8);
    images.writeUInt32BE(28, 12);
    const labels = Buffer.alloc(8 + count);
    labels.writeUInt32BE(0x00000801, 0);
    labels.writeUInt32BE(count, 4);
    for (let i = 0; i < count; i++) {
      const label = i % 10;
      labels[8 + i] = label;
      for (let y = 4; y < 12; y++) for (let x = 2 * label; x < 2 * label + 8; x++) images[16 + i * 784 + y * 28 + x] = 230;
    }
    await writeFile(join(dir, `${prefix}-images-idx3-ubyte`), images);
    await writeFile(join(dir, `${prefix}-labels-idx1-ubyte`), labels);
  }
}

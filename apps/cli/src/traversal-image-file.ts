/** Draws a checkpoint's latent traversals to a PNG file (written whole or not at all). */
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Reads the checkpoint in `checkpointDir`, decodes its traversal grid on `backend` (default
 * JVAE_BACKEND or auto, as selectBackend takes it) and writes it to `file` as PNG.
 */
export async function writeTraversalImage(checkpointDir: string, file: string, backend?: string): Promise<void> {
  const [{ selectBackend, traversalPng }, { readCheckpoint, traverseCheckpoint }] = await Promise.all([import('@jvae/model'), import('@jvae/train')]);
  const state = await readCheckpoint(checkpointDir);
  await selectBackend(backend);
  const png = traversalPng(traverseCheckpoint(state));
  const partial = `${file}.${process.pid}.partial`;
  try {
    await writeFile(partial, png);
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

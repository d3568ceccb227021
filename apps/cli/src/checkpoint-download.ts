/**
 * Downloads a checkpoint into a directory of the user's: refused before anything is asked of
 * the coordinator when that directory holds something else; otherwise received beside it,
 * every file checked against the manifest's size and SHA-256, then moved into place (see
 * downloadCheckpoint). On any problem nothing is left at the target and a directory already
 * there is untouched.
 */
import { readdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { downloadCheckpoint, type DownloadRequest } from '@jvae/artifacts';
import type { CheckpointInfo__Output, CoordinatorConnection } from '@jvae/protocol';

/** Every checkpoint directory holds its manifest; an existing target is replaced only if it has one (or is empty). */
const CHECKPOINT_MARKER = 'manifest.json';

export interface SavedCheckpoint {
  /** Absolute path of the checkpoint directory. */
  dir: string;
  /** The manifest the coordinator sent (checkpoint id, trial, step, files). */
  checkpoint: CheckpointInfo__Output;
}

/** Refuses a target that exists and is not a checkpoint directory. */
export async function checkReplaceable(target: string): Promise<void> {
  const info = await stat(target).catch(() => null);
  if (!info) return;
  const problem = `${target} exists and is not a checkpoint directory; choose another --out`;
  if (!info.isDirectory()) throw new Error(problem);
  const entries = await readdir(target);
  if (entries.length > 0 && !entries.includes(CHECKPOINT_MARKER)) throw new Error(problem);
}

/** Downloads a trial's latest checkpoint, or one exact checkpoint, into `outDir`, replacing an older checkpoint there. */
export async function fetchCheckpoint(connection: CoordinatorConnection, request: DownloadRequest, outDir: string): Promise<SavedCheckpoint> {
  const target = resolve(outDir);
  await checkReplaceable(target);
  const { dir, message } = await downloadCheckpoint(connection, request, { target, replace: true });
  return { dir, checkpoint: message };
}

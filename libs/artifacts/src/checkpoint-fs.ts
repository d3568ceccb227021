import * as fsp from 'node:fs/promises';
import { ArtifactError } from './artifact-error.js';

/** The file operations a received checkpoint is written with: node:fs/promises, or a stand-in that fails on purpose. */
export type CheckpointFs = Pick<typeof fsp, 'mkdir' | 'mkdtemp' | 'open' | 'rename' | 'rm' | 'stat'>;

export const NODE_FS: CheckpointFs = fsp;

/** Runs a file-system operation; a system error it throws becomes an ArtifactError saying what was being done. */
export async function fileOp<T>(doing: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw ArtifactError.fromSystem(error, doing);
  }
}

import { randomBytes } from 'node:crypto';

/** Sortable by creation time (base-36 epoch ms), unique by a random suffix. */
function timeId(kind: string): string {
  return `${kind}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function newSweepId(): string {
  return timeId('sw');
}

/** Trial ids name their sweep and index, so logs and paths say where a trial comes from. */
export function trialId(sweepId: string, index: number): string {
  return `${sweepId}-t${index}`;
}

export function newCheckpointId(): string {
  return timeId('ck');
}

// The ring all-reduce as pure data: which chunk each rank sends, receives and
// how it combines it in every round. RingMember follows this schedule over
// gRPC, passing each received segment on as soon as it is combined (the chunk
// received in one round is the one sent in the next); tests follow it in memory.

export type RingPhase = 'reduce-scatter' | 'all-gather';

/** Half-open element range [start, end) of one chunk. */
export interface ChunkBounds {
  start: number;
  end: number;
}

export interface RingRound {
  phase: RingPhase;
  /** Round within the phase, 0..world-2. */
  round: number;
  /** Chunk this rank sends to its successor. */
  send: number;
  /** Chunk this rank receives from its predecessor. */
  receive: number;
  /** Reduce-scatter adds the received chunk into the local one; all-gather copies it. */
  combine: 'add' | 'copy';
}

export interface RingSchedule {
  rank: number;
  world: number;
  length: number;
  chunks: ChunkBounds[];
  /** Chunk this rank holds fully reduced after reduce-scatter. */
  owned: number;
  /** The 2(world-1) rounds in order: reduce-scatter, then all-gather. */
  rounds: RingRound[];
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * Splits `length` elements into `world` contiguous chunks; the first
 * length % world chunks are one element longer. Chunks may be empty when
 * length < world.
 */
export function chunkBounds(length: number, world: number): ChunkBounds[] {
  checkCount('length', length, 0);
  checkCount('world', world, 1);
  const base = Math.floor(length / world);
  const extra = length % world;
  const chunks: ChunkBounds[] = [];
  let start = 0;
  for (let c = 0; c < world; c++) {
    const end = start + base + (c < extra ? 1 : 0);
    chunks.push({ start, end });
    start = end;
  }
  return chunks;
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

/**
 * The standard ring: in reduce-scatter round s rank r sends chunk (r-s) and
 * adds chunk (r-s-1) from its predecessor, so chunk c is summed along the
 * fixed path c, c+1, ..., c-1 and rank r ends owning chunk r+1; in
 * all-gather round s it sends chunk (r+1-s) and copies chunk (r-s). So the
 * chunk received in one round is the chunk sent in the next. Every chunk is
 * reduced exactly once and then copied, so all ranks end with bit-identical
 * values.
 */
export function ringSchedule(rank: number, world: number, length: number): RingSchedule {
  const chunks = chunkBounds(length, world);
  checkCount('rank', rank, 0);
  if (rank >= world) throw new RangeError(`rank must be < world (${world}), got ${rank}`);
  const rounds: RingRound[] = [];
  for (let s = 0; s < world - 1; s++) {
    rounds.push({ phase: 'reduce-scatter', round: s, send: mod(rank - s, world), receive: mod(rank - s - 1, world), combine: 'add' });
  }
  for (let s = 0; s < world - 1; s++) {
    rounds.push({ phase: 'all-gather', round: s, send: mod(rank + 1 - s, world), receive: mod(rank - s, world), combine: 'copy' });
  }
  return { rank, world, length, chunks, owned: mod(rank + 1, world), rounds };
}

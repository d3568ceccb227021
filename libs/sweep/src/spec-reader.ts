import { SweepSpecError } from './sweep-spec-error.js';

/**
 * Readers for untrusted spec values: each returns the typed value or throws a
 * SweepSpecError naming the key path, what was expected and what was found.
 */

export type Mapping = Record<string, unknown>;

/** A short description of a found value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

export function required(value: unknown, path: string): unknown {
  if (value === undefined) throw new SweepSpecError(path, 'is required');
  return value;
}

export function readMapping(value: unknown, path: string): Mapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SweepSpecError(path, `must be a mapping (got ${describe(value)})`);
  }
  return value as Mapping;
}

export function rejectUnknownKeys(mapping: Mapping, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(mapping)) {
    if (allowed.includes(key)) continue;
    const hint = closest(key, allowed);
    throw new SweepSpecError(
      joinPath(path, key),
      `unknown key (${hint ? `did you mean ${hint}? ` : ''}expected one of ${allowed.join(', ')})`,
    );
  }
}

export function readString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SweepSpecError(path, `must be a non-empty string (got ${describe(value)})`);
  }
  return value;
}

export function readOneOf<T extends string>(value: unknown, options: readonly T[], path: string): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw new SweepSpecError(path, `must be one of ${options.join(', ')} (got ${describe(value)})`);
  }
  return value as T;
}

export function readNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SweepSpecError(path, `must be a finite number (got ${describe(value)})`);
  }
  return value;
}

export function readInteger(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new SweepSpecError(path, `must be an integer ≥ ${min} (got ${describe(value)})`);
  }
  if (value > max) throw new SweepSpecError(path, `must be at most ${max} (got ${value})`);
  return value;
}

/** The candidate nearest to `word` by edit distance, if near enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

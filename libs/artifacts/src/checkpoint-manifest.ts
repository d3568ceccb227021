import { checkId, type CheckpointInfo } from '@jvae/protocol';
import { ArtifactError } from './artifact-error.js';

/** A file of a checkpoint: a safe relative path, its lower-case hex SHA-256 and its size in bytes. */
export interface CheckpointFile {
  path: string;
  sha256: string;
  size: number;
}

/** What a checkpoint holds: whose it is, the step it was taken at, and its files. */
export interface CheckpointManifest {
  trialId: string;
  step: number;
  files: CheckpointFile[];
}

/** Bounds on what one manifest may claim, so that a bad one cannot exhaust the disk or the inodes. */
export interface ManifestLimits {
  maxFiles: number;
  maxBytes: number;
}

export const DEFAULT_MANIFEST_LIMITS: ManifestLimits = { maxFiles: 1000, maxBytes: 8 * 1024 ** 3 };

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MAX_PATH = 512;
const MAX_DEPTH = 8;

/**
 * A relative file path from outside, checked before it becomes part of a filesystem path:
 * at most 512 characters and 8 levels, '/'-separated segments of [A-Za-z0-9._-] that are
 * neither '.' nor '..'. Anything else (absolute, '..', backslashes, empty segments) is refused.
 */
export function checkRelativePath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw ArtifactError.invalid('file path: must be a non-empty string');
  const quoted = JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}…` : path);
  if (path.length > MAX_PATH) throw ArtifactError.invalid(`file path ${quoted}: longer than ${MAX_PATH} characters`);
  const segments = path.split('/');
  if (segments.length > MAX_DEPTH) throw ArtifactError.invalid(`file path ${quoted}: deeper than ${MAX_DEPTH} levels`);
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw ArtifactError.invalid(
        `file path ${quoted}: use a relative path of '/'-separated names made of letters, digits, '.', '_' and '-' (no '..', no leading '/')`,
      );
    }
  }
  return path;
}

/** A SHA-256 digest as the manifest must give it: 64 lower-case hex digits. */
export function checkSha256(digest: unknown, file: string): string {
  if (typeof digest !== 'string' || !SHA256.test(digest)) {
    throw ArtifactError.invalid(`sha256 must be 64 lower-case hex digits (got ${JSON.stringify(digest)})`, file);
  }
  return digest;
}

function count(value: unknown, what: string, file?: string): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n) || n < 0) throw ArtifactError.invalid(`${what} must be a non-negative integer (got ${String(value)})`, file);
  return n;
}

/**
 * Checks a manifest message (from an upload or a download) and returns it typed: a valid trial id,
 * a step, and at least one file, each with a safe path listed once, a digest and a size;
 * no file is also the directory of another ('a' and 'a/b'); within `limits` when given.
 * Throws an ArtifactError ('invalid') or InvalidIdError naming what is wrong.
 */
export function checkManifest(input: CheckpointInfo, limits?: ManifestLimits): CheckpointManifest {
  const trialId = checkId('trial', input.trialId ?? '');
  const step = count(input.step, 'the manifest step');
  const entries = input.files ?? [];
  if (entries.length === 0) throw ArtifactError.invalid('the manifest lists no files');
  if (limits && entries.length > limits.maxFiles) throw ArtifactError.invalid(`the manifest lists more than ${limits.maxFiles} files`);
  const files: CheckpointFile[] = [];
  const paths = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    const path = checkRelativePath(entry.path);
    if (paths.has(path)) throw ArtifactError.invalid('listed twice in the manifest', path);
    paths.add(path);
    const sha256 = checkSha256(entry.sha256, path);
    const size = count(entry.size, 'size', path);
    total += size;
    if (limits && total > limits.maxBytes) throw ArtifactError.invalid(`the manifest lists more than ${limits.maxBytes} bytes in all`);
    files.push({ path, sha256, size });
  }
  for (const path of paths) {
    const segments = path.split('/');
    for (let depth = 1; depth < segments.length; depth++) {
      const parent = segments.slice(0, depth).join('/');
      if (paths.has(parent)) throw ArtifactError.invalid(`its directory '${parent}' is also listed as a file`, path);
    }
  }
  return { trialId, step, files };
}

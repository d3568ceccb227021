import { checkId } from '@jvae/protocol';
import type { CheckpointFileRecord } from '@jvae/store';
import { UploadError } from './upload-error.js';

/** Bounds on what one upload may claim, so a bad manifest cannot exhaust the disk or the inodes. */
export interface UploadLimits {
  maxFiles: number;
  maxBytes: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxFiles: 1000, maxBytes: 8 * 1024 ** 3 };

/** A checked manifest: every path is safe to join to a directory. */
export interface UploadManifest {
  trialId: string;
  step: number;
  files: CheckpointFileRecord[];
}

/** What a manifest message carries (the generated CheckpointInfo, loosely). */
export interface ManifestInput {
  trialId?: string;
  step?: number | string;
  files?: { path?: string; sha256?: string; size?: number | string }[];
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MAX_PATH = 512;
const MAX_DEPTH = 8;

/**
 * Checks a relative file path from outside before it becomes part of a filesystem path:
 * forward slashes, segments of [A-Za-z0-9._-] that are not '.' or '..', not absolute.
 */
export function checkRelativePath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw new UploadError('file path: must be a non-empty string');
  const quoted = JSON.stringify(path.slice(0, MAX_PATH));
  if (path.length > MAX_PATH) throw new UploadError(`file path ${quoted}: longer than ${MAX_PATH} characters`);
  const segments = path.split('/');
  if (segments.length > MAX_DEPTH) throw new UploadError(`file path ${quoted}: deeper than ${MAX_DEPTH} directories`);
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw new UploadError(
        `file path ${quoted}: use a relative path of '/'-separated names made of letters, digits, '.', '_' and '-' (no '..', no leading '/')`,
      );
    }
  }
  return path;
}

/** Validates an upload's manifest message; throws UploadError (or InvalidIdError) naming what is wrong. */
export function checkUploadManifest(input: ManifestInput, limits: UploadLimits = DEFAULT_UPLOAD_LIMITS): UploadManifest {
  const trialId = checkId('trial', input.trialId ?? '');
  const step = Number(input.step ?? 0);
  if (!Number.isSafeInteger(step) || step < 0) throw new UploadError(`manifest step: must be a non-negative integer (got ${input.step})`);
  const entries = input.files ?? [];
  if (entries.length === 0) throw new UploadError('manifest files: the manifest lists no files');
  if (entries.length > limits.maxFiles) throw new UploadError(`manifest files: more than ${limits.maxFiles} files`);
  const files: CheckpointFileRecord[] = [];
  const paths = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    const path = checkRelativePath(entry.path);
    if (paths.has(path)) throw new UploadError(`file '${path}': listed twice in the manifest`);
    paths.add(path);
    const sha256 = entry.sha256 ?? '';
    if (!SHA256.test(sha256)) throw new UploadError(`file '${path}': sha256 must be 64 lower-case hex digits`);
    const size = Number(entry.size ?? 0);
    if (!Number.isSafeInteger(size) || size < 0) throw new UploadError(`file '${path}': size must be a non-negative integer`);
    total += size;
    if (total > limits.maxBytes) throw new UploadError(`manifest files: more than ${limits.maxBytes} bytes in all`);
    files.push({ path, sha256, size });
  }
  // A file cannot also be a directory of another ('a' and 'a/b').
  for (const path of paths) {
    const segments = path.split('/');
    for (let depth = 1; depth < segments.length; depth++) {
      const parent = segments.slice(0, depth).join('/');
      if (paths.has(parent)) throw new UploadError(`file '${path}': its directory '${parent}' is also listed as a file`);
    }
  }
  return { trialId, step, files };
}

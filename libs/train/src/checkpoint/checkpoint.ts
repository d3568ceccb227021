/**
 * A training checkpoint on disk:
 *
 *   encoder/model.json, encoder/weights.bin   TensorFlow.js Layers format
 *   decoder/model.json, decoder/weights.bin
 *   optimizer.json, optimizer.bin             Adam step count and moments
 *   trial.json                                config, step, seed, data cursor, last metrics
 *   manifest.json                             SHA-256 and size of every file above
 *
 * It is written into a temporary sibling directory and renamed into place, and is
 * only read back after every file matches the manifest. What it replaces must be a
 * checkpoint itself (or an empty directory): anything else is refused, never deleted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { AdamState } from '@jvae/model';
import { DataError, parseDatasetRef } from '@jvae/data';
import { checkTrainConfig, ConfigError, type TrainConfig } from '@jvae/model/config';
import { CheckpointError } from './checkpoint-error.js';
import { CheckpointTargetError } from './checkpoint-target-error.js';
import { decodeArrayRecord, encodeArrayRecord } from './array-record.js';
import { decodeLayersFiles, MODEL_JSON, saveLayersFiles, WEIGHTS_BIN } from './layers-files.js';
import type { EvalMetrics } from '../evaluation.js';

export const CHECKPOINT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
const TRIAL_FILE = 'trial.json';
const OPTIMIZER_JSON = 'optimizer.json';
const OPTIMIZER_BIN = 'optimizer.bin';
const PARTS = ['encoder', 'decoder'] as const;
const PART_FILES = [MODEL_JSON, WEIGHTS_BIN];
const TOP_FILES = [OPTIMIZER_JSON, OPTIMIZER_BIN, TRIAL_FILE, MANIFEST_FILE];
const CHECKPOINT_FILES = [
  ...PARTS.flatMap((part) => [`${part}/${MODEL_JSON}`, `${part}/${WEIGHTS_BIN}`]),
  OPTIMIZER_JSON,
  OPTIMIZER_BIN,
  TRIAL_FILE,
];

/** Where the next step's global batch starts: epoch and sample position within its permutation. */
export interface DataCursor {
  epoch: number;
  index: number;
}

/** Contents of `trial.json`. `step` counts completed global optimizer steps. */
export interface TrialRecord {
  version: number;
  config: TrainConfig;
  step: number;
  seed: number;
  metrics: EvalMetrics | null;
  dataCursor: DataCursor;
  trialId?: string;
}

export interface CheckpointState {
  trial: TrialRecord;
  /** All model weights, flat, in `JointVae.getWeights()` order (encoder then decoder). */
  weights: Float32Array;
  optimizer: AdamState;
}

/** The parts of a model a checkpoint serialises; `JointVae` satisfies it. */
export interface CheckpointModel {
  encoder: LayersModel;
  decoder: LayersModel;
  setWeights(flat: Float32Array): void;
}

export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface CheckpointManifest {
  version: number;
  files: ManifestEntry[];
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function encodeCheckpoint(state: CheckpointState, model: CheckpointModel): Promise<Map<string, Buffer>> {
  model.setWeights(state.weights);
  const files = new Map<string, Buffer>();
  for (const part of PARTS) {
    const layers = await saveLayersFiles(model[part]);
    files.set(`${part}/${MODEL_JSON}`, layers.modelJson);
    files.set(`${part}/${WEIGHTS_BIN}`, layers.weightsBin);
  }
  const optimizer = encodeArrayRecord(state.optimizer);
  files.set(OPTIMIZER_JSON, Buffer.from(JSON.stringify(optimizer.header)));
  files.set(OPTIMIZER_BIN, optimizer.blob);
  files.set(TRIAL_FILE, Buffer.from(JSON.stringify({ ...state.trial, version: CHECKPOINT_VERSION }, null, 2)));
  return files;
}

/**
 * Why the directory `dir` is not a jvae checkpoint, or null when it is one: its manifest.json
 * is a checkpoint manifest and it holds nothing but checkpoint files (some may be missing or
 * damaged; it is still a checkpoint, to be replaced whole).
 */
async function notACheckpoint(dir: string): Promise<string | null> {
  const foreign: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if ((PARTS as readonly string[]).includes(entry.name) && entry.isDirectory()) {
      for (const inner of await readdir(join(dir, entry.name), { withFileTypes: true })) {
        if (!PART_FILES.includes(inner.name) || !inner.isFile()) foreign.push(`${entry.name}/${inner.name}`);
      }
    } else if (!TOP_FILES.includes(entry.name) || !entry.isFile()) {
      foreign.push(entry.name);
    }
  }
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ` and ${foreign.length - 3} more` : '');
    return `it holds ${shown}, which a jvae checkpoint does not`;
  }
  const manifest = await readFile(join(dir, MANIFEST_FILE)).catch(() => null);
  if (!manifest) return `it has no ${MANIFEST_FILE}`;
  try {
    parseManifest(manifest);
  } catch {
    return `its ${MANIFEST_FILE} is not a jvae checkpoint manifest`;
  }
  return null;
}

/** Whether `dir` is a directory holding a jvae checkpoint and nothing else: the only kind a checkpoint may replace. */
export async function isCheckpointDir(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => null);
  return info !== null && info.isDirectory() && (await notACheckpoint(dir)) === null;
}

/**
 * Checks that a checkpoint may be written to `dir`: it does not exist, is an empty directory,
 * or is a jvae checkpoint (which the write replaces). Anything else throws CheckpointTargetError
 * saying what is there. Returns the existing directory's permission bits, undefined when there is none.
 */
export async function checkCheckpointTarget(dir: string): Promise<number | undefined> {
  const target = resolve(dir);
  const info = await stat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!info) return undefined;
  if (!info.isDirectory()) throw new CheckpointTargetError(target, 'exists and is not a directory; give a new or empty directory');
  if ((await readdir(target)).length > 0) {
    const problem = await notACheckpoint(target);
    if (problem) {
      throw new CheckpointTargetError(
        target,
        `not empty and not a jvae checkpoint (${problem}); give a new or empty directory, or a checkpoint to replace`,
      );
    }
  }
  return info.mode & 0o7777;
}

/**
 * Writes `state` (with `model` providing the topology; its weights are set to
 * `state.weights`) to `dir`, replacing an existing checkpoint there and keeping the
 * directory's mode. A reader never sees a half-written directory at `dir`.
 */
export async function writeCheckpoint(
  dir: string,
  state: CheckpointState,
  model: CheckpointModel,
): Promise<CheckpointManifest> {
  const target = resolve(dir);
  const existingMode = await checkCheckpointTarget(target);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const files = await encodeCheckpoint(state, model);
  const manifest: CheckpointManifest = {
    version: CHECKPOINT_VERSION,
    files: [...files].map(([path, data]) => ({ path, size: data.byteLength, sha256: sha256(data) })),
  };
  const sibling = (kind: string) => join(parent, `.${basename(target)}.${kind}-${randomBytes(6).toString('hex')}`);
  // mkdir, unlike mkdtemp's 0700, gives the mode the umask asks for.
  const temp = sibling('tmp');
  await mkdir(temp);
  try {
    for (const part of PARTS) await mkdir(join(temp, part));
    for (const [path, data] of files) await writeFile(join(temp, path), data);
    await writeFile(join(temp, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
    if (existingMode !== undefined) {
      await chmod(temp, existingMode);
      const old = sibling('old');
      await rename(target, old);
      await rename(temp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(temp, target);
    }
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  return manifest;
}

function parseJson(data: Buffer, file: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new CheckpointError(file, `invalid JSON (${(err as Error).message})`);
  }
}

function parseManifest(data: Buffer): Map<string, ManifestEntry> {
  const manifest = parseJson(data, MANIFEST_FILE) as Partial<CheckpointManifest> | null;
  if (!manifest || manifest.version !== CHECKPOINT_VERSION || !Array.isArray(manifest.files)) {
    throw new CheckpointError(MANIFEST_FILE, `expected { version: ${CHECKPOINT_VERSION}, files: [...] }`);
  }
  const entries = new Map<string, ManifestEntry>();
  for (const entry of manifest.files) {
    if (!entry || !CHECKPOINT_FILES.includes(entry.path) || typeof entry.sha256 !== 'string' || !Number.isSafeInteger(entry.size)) {
      throw new CheckpointError(MANIFEST_FILE, `unexpected entry ${JSON.stringify(entry)}`);
    }
    entries.set(entry.path, entry);
  }
  for (const path of CHECKPOINT_FILES) {
    if (!entries.has(path)) throw new CheckpointError(MANIFEST_FILE, `does not list ${path}`);
  }
  return entries;
}

async function readVerified(dir: string, entry: ManifestEntry): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(join(dir, entry.path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(entry.path, code === 'ENOENT' ? 'missing' : `unreadable (${code})`);
  }
  if (data.byteLength !== entry.size) {
    throw new CheckpointError(entry.path, `size ${data.byteLength} differs from the manifest's ${entry.size}`);
  }
  if (sha256(data) !== entry.sha256) throw new CheckpointError(entry.path, 'SHA-256 differs from the manifest');
  return data;
}

function flatWeights(files: Map<string, Buffer>): Float32Array {
  const parts = PARTS.map((part) => {
    const artifacts = decodeLayersFiles(
      files.get(`${part}/${MODEL_JSON}`)!.toString('utf8'),
      (name) => files.get(`${part}/${name}`)!,
      (name) => `${part}/${name}`,
    );
    if (artifacts.weightSpecs!.some((spec) => spec.dtype !== 'float32' || spec.quantization)) {
      throw new CheckpointError(`${part}/${MODEL_JSON}`, 'weights must be unquantised float32');
    }
    return new Float32Array(artifacts.weightData as ArrayBuffer);
  });
  const flat = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    flat.set(part, offset);
    offset += part.length;
  }
  return flat;
}

function validTrial(value: unknown): TrialRecord {
  const trial = value as Partial<TrialRecord> | null;
  const problem =
    !trial || typeof trial !== 'object'
      ? 'not an object'
      : trial.version !== CHECKPOINT_VERSION
        ? `version ${String(trial.version)} is not ${CHECKPOINT_VERSION}`
        : !Number.isSafeInteger(trial.step) || trial.step! < 0
          ? 'step must be a non-negative integer'
          : !Number.isSafeInteger(trial.seed)
            ? 'seed must be an integer'
            : !trial.dataCursor || !Number.isSafeInteger(trial.dataCursor.epoch) || !Number.isSafeInteger(trial.dataCursor.index)
              ? 'dataCursor must be { epoch, index }'
              : configProblem(trial.config);
  if (problem) throw new CheckpointError(TRIAL_FILE, problem);
  return { ...trial, metrics: trial!.metrics ?? null } as TrialRecord;
}

/**
 * What is wrong with a trial.json config, checked as any train config is before a model is
 * built from it (a corrupt or hostile one could otherwise allocate gigabytes).
 */
function configProblem(config: unknown): string | undefined {
  try {
    parseDatasetRef(checkTrainConfig(config).dataset);
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return `config${err.path === 'config' ? '' : `.${err.path}`}: ${err.reason}`;
    if (err instanceof DataError) return `config.dataset: ${err.detail}`;
    throw err;
  }
}

/** Reads and verifies a checkpoint; any problem is a `CheckpointError` naming the file. */
export async function readCheckpoint(dir: string): Promise<CheckpointState> {
  let manifestData: Buffer;
  try {
    manifestData = await readFile(join(dir, MANIFEST_FILE));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(MANIFEST_FILE, code === 'ENOENT' ? `missing in ${dir}` : `unreadable (${code})`);
  }
  const entries = parseManifest(manifestData);
  const files = new Map<string, Buffer>();
  for (const path of CHECKPOINT_FILES) files.set(path, await readVerified(dir, entries.get(path)!));

  const trial = validTrial(parseJson(files.get(TRIAL_FILE)!, TRIAL_FILE));
  const weights = flatWeights(files);
  return { trial, weights, optimizer: validOptimizer(files, weights.length) };
}

function validOptimizer(files: Map<string, Buffer>, parameters: number): AdamState {
  let record: Record<string, unknown>;
  try {
    record = decodeArrayRecord(parseJson(files.get(OPTIMIZER_JSON)!, OPTIMIZER_JSON), files.get(OPTIMIZER_BIN)!);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(OPTIMIZER_JSON, (err as Error).message);
  }
  const { t, m, v } = record;
  const fits = (a: unknown) => a instanceof Float32Array && a.length === parameters;
  if (!Number.isSafeInteger(t) || (t as number) < 0 || !fits(m) || !fits(v)) {
    throw new CheckpointError(OPTIMIZER_JSON, `expected Adam state { t, m, v } for ${parameters} parameters`);
  }
  return { t: t as number, m: m as Float32Array, v: v as Float32Array };
}

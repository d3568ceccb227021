import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { BACKEND_REQUESTS, type BackendRequest } from '../backends.js';
import { BackendSelectionError } from './backend-selection-error.js';
import { registerJvaeKernels } from './jvae-kernels.js';

export interface BackendSelection {
  /** The active TensorFlow.js backend: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** What runs the kernels, for logs, the worker registry and the dashboard. */
  engine: string;
  /** Why 'auto' took this backend; absent when a backend was named. */
  reason?: string;
}

/** Tried in this order; both are optionalDependencies (their installers download libtensorflow). */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isMissingPackage(err: unknown, pkg: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && messageOf(err).includes(`'${pkg}'`);
}

async function activate(name: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    throw new BackendSelectionError(`backend '${name}' failed to initialize: ${messageOf(err)}`, { cause: err });
  }
  if (!ok) throw new BackendSelectionError(`backend '${name}' failed to initialize`);
}

/**
 * The native packages re-export @tensorflow/tfjs, so they bring their own
 * copy of tfjs-core unless npm dedupes it with ours. The engine and kernel
 * registry live on globalThis and are shared by every copy, but two copies of
 * different versions would mix tensor classes on one engine: refuse that.
 */
async function loadTensorflow(): Promise<BackendSelection> {
  for (const pkg of NATIVE_PACKAGES) {
    let native: { version_core?: string };
    try {
      // A CommonJS package: its exports may only show on `default`.
      const module = (await import(pkg)) as { version_core?: string; default?: { version_core?: string } };
      native = module.default ?? module;
    } catch (err) {
      if (isMissingPackage(err, pkg)) continue;
      throw new BackendSelectionError(`${pkg} is installed but failed to load: ${messageOf(err)}`, { cause: err });
    }
    if (native.version_core != null && native.version_core !== tf.version_core) {
      throw new BackendSelectionError(
        `${pkg} uses @tensorflow/tfjs-core ${native.version_core} but this project uses ${tf.version_core}; ` +
          `install a ${pkg} release built on tfjs-core ${tf.version_core}`,
      );
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      throw new BackendSelectionError(`${pkg} loaded but registered no 'tensorflow' backend with this engine`);
    }
    await activate('tensorflow');
    return { name: 'tensorflow', engine: `${pkg} (libtensorflow, tfjs-core ${tf.version_core})` };
  }
  throw new BackendSelectionError(
    `backend 'tensorflow' needs ${NATIVE_PACKAGES.join(' or ')}, and neither is installed ` +
      `(they are optional dependencies: install one, e.g. npm install @tensorflow/tfjs-node)`,
  );
}

async function loadWasm(): Promise<BackendSelection> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    throw new BackendSelectionError(`@tensorflow/tfjs-backend-wasm failed to load: ${messageOf(err)}`, { cause: err });
  }
  registerJvaeKernels();
  await activate('wasm');
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD' : 'no SIMD';
  const threads = wasm.getThreadsCount();
  return {
    name: 'wasm',
    engine: `tfjs-backend-wasm ${wasm.version_wasm} (XNNPACK, ${simd}, ${threads} thread${threads === 1 ? '' : 's'})`,
  };
}

async function loadCpu(): Promise<BackendSelection> {
  registerJvaeKernels();
  await activate('cpu');
  return { name: 'cpu', engine: `tfjs-backend-cpu ${version_cpu} (JavaScript)` };
}

async function loadAuto(): Promise<BackendSelection> {
  let tensorflowFailure: string;
  try {
    return { ...(await loadTensorflow()), reason: 'native TensorFlow is installed and loaded' };
  } catch (err) {
    if (!(err instanceof BackendSelectionError)) throw err;
    tensorflowFailure = err.message;
  }
  try {
    return { ...(await loadWasm()), reason: `tensorflow unavailable: ${tensorflowFailure}` };
  } catch (err) {
    if (!(err instanceof BackendSelectionError)) throw err;
    const reason = `tensorflow unavailable: ${tensorflowFailure}; wasm unavailable: ${err.message}`;
    return { ...(await loadCpu()), reason };
  }
}

/** One loader for every name settings accept, so none of them passes configuration and then fails here. */
const LOADERS: Record<BackendRequest, () => Promise<BackendSelection>> = {
  auto: loadAuto,
  tensorflow: loadTensorflow,
  wasm: loadWasm,
  cpu: loadCpu,
};

/**
 * Loads and activates a TensorFlow.js backend, with this package's kernels
 * registered: 'tensorflow' (native libtensorflow through tfjs-node-gpu or
 * tfjs-node), 'wasm' (XNNPACK), 'cpu' (plain JavaScript, always works), or
 * 'auto': the first of those that loads, saying why in `reason`. Without an
 * argument it takes JVAE_BACKEND, else 'auto'; case and spaces are ignored.
 */
export async function selectBackend(requested?: BackendRequest | (string & {})): Promise<BackendSelection> {
  const fromEnv = requested === undefined;
  const name = (fromEnv ? process.env.JVAE_BACKEND || 'auto' : requested).trim().toLowerCase();
  if (!Object.hasOwn(LOADERS, name)) {
    throw new BackendSelectionError(
      `unknown backend '${name}'${fromEnv ? ' (from JVAE_BACKEND)' : ''}; ` +
        `expected one of: ${BACKEND_REQUESTS.join(', ')}`,
    );
  }
  return LOADERS[name as BackendRequest]();
}

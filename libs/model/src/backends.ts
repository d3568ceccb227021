/** The TensorFlow.js backends, by name, for settings that pick one; selectBackend loads them. */

/** What JVAE_BACKEND and --backend accept: 'auto' takes the first of the others that loads. */
export const BACKEND_REQUESTS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendRequest = (typeof BACKEND_REQUESTS)[number];

/** Backends whose kernels run on the calling thread, where more threads mean more cores used. */
const THREADED_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/** Whether training on the active backend `name` spreads over compute threads (else it runs one). */
export function isThreadedBackend(name: string): boolean {
  return THREADED_BACKENDS.has(name);
}

import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';

/**
 * gRPC codes after which the same call may succeed later: the coordinator could not be
 * reached or did not answer in time, cancelled the call (it is shutting down: a call this side
 * cancels ends with its signal's reason instead), or its artifact store is full or failing (it
 * keeps nothing of a call it answers so).
 */
const TRANSIENT = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED, status.RESOURCE_EXHAUSTED]);

export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && TRANSIENT.has(code);
}

export interface RetryOptions {
  /** Aborting ends the waiting; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** First delay (default 250 ms); doubled after each failure up to maxDelayMs (default 10 000). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each wait, e.g. to log or to look for a stop request. */
  onRetry?: (err: unknown, delayMs: number, attempt: number) => void | Promise<void>;
}

/**
 * Runs `attempt` until it succeeds, waiting with exponential backoff (with jitter) after each
 * transient failure (see isTransient). Any other error is thrown at once.
 */
export async function retryWithBackoff<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { signal } = options;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  let delayMs = options.initialDelayMs ?? 250;
  for (let n = 1; ; n++) {
    signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (!isTransient(err)) throw err;
      const wait = Math.round(delayMs * (0.5 + Math.random() / 2));
      await options.onRetry?.(err, wait, n);
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        throw signal!.reason;
      }
      delayMs = Math.min(maxDelayMs, delayMs * 2);
    }
  }
}

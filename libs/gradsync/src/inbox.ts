/**
 * FIFO of messages from one peer, taken one at a time by a single consumer
 * with a timeout. A failure is delivered after the messages queued before it,
 * so data that arrived before a peer left is still used.
 */
export class Inbox<T> {
  private readonly items: T[] = [];
  private failure: Error | undefined;
  private waiter:
    | { resolve: (item: T) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
    | undefined;

  push(item: T): void {
    if (this.failure) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve(item);
    } else {
      this.items.push(item);
    }
  }

  /** Ends the inbox: once the queue is drained, next() rejects with `error`. The first failure wins. */
  fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.reject(this.failure);
    }
  }

  /** The next message; rejects with `onTimeout()` when none arrives within `timeoutMs`. */
  next(timeoutMs: number, onTimeout: () => Error): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift() as T);
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error('Inbox.next called while another call is waiting'));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(onTimeout());
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }
}

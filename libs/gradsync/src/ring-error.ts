/**
 * Why an all-reduce failed:
 * - timeout: a peer stayed silent longer than the member's timeout;
 * - peer-lost: the stream to the successor or from the predecessor broke, or
 *   the successor could not be reached;
 * - protocol: a peer sent a message that does not fit the operation (wrong
 *   group, step, length, ...), or refused ours;
 * - closed: the member was closed;
 * - usage: the caller broke the contract (bad arguments, concurrent calls).
 * After any but `usage` the member is broken: close it and rendezvous again.
 */
export type RingErrorReason = 'timeout' | 'peer-lost' | 'protocol' | 'closed' | 'usage';

export class RingError extends Error {
  constructor(
    readonly reason: RingErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'RingError';
  }
}

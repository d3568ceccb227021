/**
 * Why an all-reduce failed:
 * - timeout: a peer stayed silent longer than the member's timeout;
 * - peer-lost: a stream to a neighbour broke, a neighbour was closed, or the
 *   predecessor could not be reached;
 * - protocol: a peer sent a message that does not fit the operation (wrong
 *   group, generation, step, length, ...), refused ours, or refused to join;
 * - closed: this member was closed;
 * - usage: the caller broke the contract (bad arguments, concurrent calls).
 * After any but `usage` the member is broken: close it and rendezvous again.
 * A failure anywhere on the ring reaches every rank with the same reason and
 * `faultyRank`.
 */
export type RingErrorReason = 'timeout' | 'peer-lost' | 'protocol' | 'closed' | 'usage';

export class RingError extends Error {
  constructor(
    readonly reason: RingErrorReason,
    message: string,
    /** The rank the failure points at (the silent one, the one that left, the sender of a refused message), when known. */
    readonly faultyRank?: number,
  ) {
    super(message);
    this.name = 'RingError';
  }
}

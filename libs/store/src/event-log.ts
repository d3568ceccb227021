import type { Redis } from 'ioredis';
import { keys, type RedisKeys } from '@jvae/protocol';
import type { LoggedEvent, StoreEvent } from './records.js';

export interface EventLogOptions {
  /** Entries kept (approximately) in each sweep's stream; watchers only need the recent ones. */
  sweepMaxLen?: number;
  /** Entries kept (approximately) in the global stream; generous so a stopped coordinator misses nothing. */
  globalMaxLen?: number;
}

export interface ReadOptions {
  /** Wait up to this long for an entry (0 = return at once). Blocks the connection: give blocking readers their own. */
  blockMs?: number;
  count?: number;
}

type StreamReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

/**
 * Change events in two Redis streams: one per sweep (P:sweep:{id}:events), read by watchers
 * with XREAD, and one for all sweeps (P:events), consumed by the coordinator through a
 * consumer group so that an event is acknowledged only once applied, and re-read after a crash.
 */
export class EventLog {
  readonly sweepMaxLen: number;
  readonly globalMaxLen: number;
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    options: EventLogOptions = {},
  ) {
    this.keys = keys(prefix);
    this.sweepMaxLen = options.sweepMaxLen ?? 1000;
    this.globalMaxLen = options.globalMaxLen ?? 100_000;
  }

  /** The two streams an event of `sweepId` goes to: the sweep's, then the global one. */
  streams(sweepId: string): [string, string] {
    return [this.keys.sweepEvents(sweepId), this.keys.events()];
  }

  static encode(event: StoreEvent): string {
    return JSON.stringify(event);
  }

  async append(event: StoreEvent): Promise<void> {
    const [sweepStream, globalStream] = this.streams(event.sweepId);
    const data = EventLog.encode(event);
    await this.redis
      .multi()
      .xadd(sweepStream, 'MAXLEN', '~', this.sweepMaxLen, '*', 'e', data)
      .xadd(globalStream, 'MAXLEN', '~', this.globalMaxLen, '*', 'e', data)
      .exec();
  }

  /** Id of the sweep stream's newest entry ('0-0' when empty): read after it to get only what follows. */
  async latestId(sweepId: string): Promise<string> {
    const last = (await this.redis.xrevrange(this.keys.sweepEvents(sweepId), '+', '-', 'COUNT', 1)) as [string, string[]][];
    return last[0]?.[0] ?? '0-0';
  }

  /** The sweep's events after `afterId`, oldest first. */
  async readSweep(sweepId: string, afterId: string, options: ReadOptions = {}): Promise<LoggedEvent[]> {
    const args: (string | number)[] = ['COUNT', options.count ?? 100];
    if (options.blockMs) args.push('BLOCK', options.blockMs);
    const reply = await this.command('xread')(...args, 'STREAMS', this.keys.sweepEvents(sweepId), afterId);
    return decodeEntries(reply).events;
  }

  /**
   * Whether entries of the sweep's stream after `afterId` may have been trimmed away (a reader
   * that fell this far behind has missed changes): the oldest entry kept is past `afterId`.
   * Never when nothing was ever trimmed (Redis 7 counts the entries added).
   */
  async lostAfter(sweepId: string, afterId: string): Promise<boolean> {
    const info = (await this.redis.call('XINFO', 'STREAM', this.keys.sweepEvents(sweepId))) as unknown[];
    const field = (name: string) => {
      const at = info.indexOf(name);
      return at >= 0 && at % 2 === 0 ? info[at + 1] : undefined;
    };
    if (field('entries-added') !== undefined && field('entries-added') === field('length')) return false;
    const first = field('first-entry') as [string, string[]] | null | undefined;
    return !!first && compareIds(first[0], afterId) > 0;
  }

  /** Creates the consumer group on the global stream (from its start) unless it exists. */
  async ensureGroup(group: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.events(), group, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('BUSYGROUP')) throw err;
    }
  }

  /** True for the error of a read through a group that does not exist (or whose stream was deleted). */
  static isMissingGroup(error: unknown): boolean {
    return error instanceof Error && error.message.startsWith('NOGROUP');
  }

  /**
   * The next global events for `consumer` of `group`: first those it read before but did not
   * acknowledge (after a crash), then new ones. Acknowledge each with `ack` once applied.
   */
  async consume(group: string, consumer: string, options: ReadOptions = {}): Promise<LoggedEvent[]> {
    const pending = await this.readGroup(group, consumer, '0', { count: options.count });
    if (pending.length > 0) return pending;
    return this.readGroup(group, consumer, '>', options);
  }

  async ack(group: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.xack(this.keys.events(), group, ...ids);
  }

  /** XREAD and XREADGROUP take their options in many orders that their typings spell out one by one. */
  private command(name: 'xread' | 'xreadgroup'): (...args: (string | number)[]) => Promise<StreamReply> {
    const method = this.redis[name] as unknown as (...args: (string | number)[]) => Promise<StreamReply>;
    return method.bind(this.redis);
  }

  private async readGroup(group: string, consumer: string, from: string, options: ReadOptions): Promise<LoggedEvent[]> {
    const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', options.count ?? 100];
    if (options.blockMs) args.push('BLOCK', options.blockMs);
    const reply = await this.command('xreadgroup')(...args, 'STREAMS', this.keys.events(), from);
    const { events, unreadable } = decodeEntries(reply);
    // Nothing can apply an unreadable entry (or one trimmed away while pending): acknowledge it
    // now so that it is not handed out again.
    await this.ack(group, unreadable);
    return events;
  }
}

/** Orders two stream entry ids ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** Entries whose payload is not an event (written by something else) are set apart, never fatal. */
function decodeEntries(reply: StreamReply): { events: LoggedEvent[]; unreadable: string[] } {
  const events: LoggedEvent[] = [];
  const unreadable: string[] = [];
  for (const [, entries] of reply ?? []) {
    for (const [id, fields] of entries) {
      const event = parseEvent(fields);
      if (event) events.push({ id, event });
      else unreadable.push(id);
    }
  }
  return { events, unreadable };
}

function parseEvent(fields: string[] | null): StoreEvent | undefined {
  const at = fields ? fields.indexOf('e') : -1;
  if (!fields || at < 0 || at % 2 !== 0) return undefined;
  try {
    const event = JSON.parse(fields[at + 1]!) as StoreEvent;
    return event && typeof event.type === 'string' && typeof event.sweepId === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}

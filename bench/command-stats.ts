import type { Redis } from 'ioredis';

/** Calls by command name (lower case; subcommands as `client|setname`). */
export type CommandCalls = Map<string, number>;

/**
 * Redis's own count of the commands it has run (INFO commandstats), less the ones this reader
 * sent: its INFO calls, and whatever else it is told of with `own`. Commands that Lua scripts
 * run count one each, besides the EVALSHA that ran them.
 */
export class CommandStats {
  private readonly sent = new Map<string, number>();

  constructor(private readonly redis: Redis) {}

  async snapshot(): Promise<CommandCalls> {
    const text = await this.redis.info('commandstats');
    // An INFO reply does not count the INFO that asked for it, only the earlier ones.
    const calls: CommandCalls = new Map();
    for (const [, name, count] of text.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) {
      calls.set(name!, Number(count) - (this.sent.get(name!) ?? 0));
    }
    this.own('info');
    return calls;
  }

  /** Notes a command this reader sent, so that later snapshots leave it out. */
  own(command: string): void {
    this.sent.set(command, (this.sent.get(command) ?? 0) + 1);
  }
}

/** What ran between two snapshots, by command, without the commands that did not run. */
export function callsBetween(before: CommandCalls, after: CommandCalls): CommandCalls {
  const delta: CommandCalls = new Map();
  for (const [name, count] of after) {
    const ran = count - (before.get(name) ?? 0);
    if (ran > 0) delta.set(name, ran);
  }
  return delta;
}

export function totalCalls(calls: CommandCalls): number {
  let total = 0;
  for (const count of calls.values()) total += count;
  return total;
}

/** Finds the command named by argv, parses its flags strictly and runs it. */
import { parseArgs } from 'node:util';
import { UsageError, type Command, type CommandInput } from './command.js';
import { commandHelp, groupHelp } from './help.js';

export async function runCli(argv: string[], commands: Command[]): Promise<number> {
  const command = findCommand(argv, commands);
  if (!command) {
    const prefix = longestGroupPrefix(argv, commands);
    const wantsHelp = argv.length === prefix.length || ['-h', '--help', 'help'].includes(argv[prefix.length] ?? '');
    if (wantsHelp) {
      console.log(groupHelp(prefix, commands));
      return 0;
    }
    console.error(`jvae: unknown command '${argv.slice(0, prefix.length + 1).join(' ')}'.\n`);
    console.error(groupHelp(prefix, commands));
    return 2;
  }
  const rest = argv.slice(command.path.length);
  const name = `jvae ${command.path.join(' ')}`;
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(commandHelp(command));
    return 0;
  }
  try {
    const parsed = parseArgs({
      args: rest,
      options: Object.fromEntries(
        Object.entries(command.options ?? {}).map(([key, spec]) => [
          key,
          { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    checkPositionals(command, parsed.positionals);
    return await command.run({ values: parsed.values as CommandInput['values'], positionals: parsed.positionals });
  } catch (err) {
    if (err instanceof UsageError || isParseArgsError(err)) {
      console.error(`${name}: ${(err as Error).message}\nRun '${name} --help' for usage.`);
      return 2;
    }
    console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.JVAE_DEBUG && err instanceof Error) console.error(err.stack);
    return 1;
  }
}

function findCommand(argv: string[], commands: Command[]): Command | undefined {
  return commands
    .filter((c) => c.path.every((word, i) => argv[i] === word))
    .sort((a, b) => b.path.length - a.path.length)[0];
}

function longestGroupPrefix(argv: string[], commands: Command[]): string[] {
  let prefix: string[] = [];
  for (let n = 1; n <= argv.length; n++) {
    const candidate = argv.slice(0, n);
    if (commands.some((c) => c.path.length > n && candidate.every((word, i) => c.path[i] === word))) prefix = candidate;
  }
  return prefix;
}

function checkPositionals(command: Command, positionals: string[]): void {
  const specs = command.positionals ?? [];
  const required = specs.filter((p) => !p.optional).length;
  if (positionals.length < required) {
    throw new UsageError(`missing ${specs[positionals.length]?.name ?? 'argument'}`);
  }
  if (positionals.length > specs.length) {
    throw new UsageError(`unexpected argument '${positionals[specs.length]}'`);
  }
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** Help text for the command tree, built from the commands' own flag specs. */
import type { Command } from './command.js';

export function usageLine(command: Command): string {
  const positionals = (command.positionals ?? []).map((p) => (p.optional ? `[${p.name}]` : p.name));
  const options = Object.keys(command.options ?? {}).length > 0 ? ['[options]'] : [];
  return ['jvae', ...command.path, ...positionals, ...options].join(' ');
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: ${usageLine(command)}`, '', command.summary];
  if (command.details) lines.push('', command.details);
  const positionals = command.positionals ?? [];
  if (positionals.length > 0) {
    lines.push('', 'Arguments:');
    for (const p of positionals) lines.push(`  ${p.name.padEnd(24)} ${p.description}`);
  }
  const options = Object.entries(command.options ?? {});
  lines.push('', 'Options:');
  for (const [name, spec] of options) {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
    lines.push(`  ${flag.padEnd(24)} ${spec.description}`);
  }
  lines.push(`  ${'-h, --help'.padEnd(24)} Show this help`);
  return lines.join('\n');
}

/** Help for a group of commands sharing a prefix (`jvae`, `jvae sweep`, ...). */
export function groupHelp(prefix: string[], commands: Command[]): string {
  const below = commands.filter((c) => prefix.every((word, i) => c.path[i] === word));
  const width = Math.max(...below.map((c) => c.path.join(' ').length)) + 2;
  const lines = [
    `Usage: jvae ${[...prefix, '<command>'].join(' ')} [options]`,
    '',
    prefix.length === 0
      ? 'jvae trains Joint VAE models and runs sweeps over their capacity schedules on a pool of workers.'
      : `Commands under 'jvae ${prefix.join(' ')}':`,
    '',
    'Commands:',
    ...below.map((c) => `  jvae ${c.path.join(' ').padEnd(width)} ${c.summary}`),
    '',
    `Run 'jvae ${[...prefix, '<command>'].join(' ')} --help' for a command's options.`,
  ];
  return lines.join('\n');
}

/** @jvae/cli: the `jvae` command tree, for embedding and tests. */
export { runCli } from './cli.js';
export { commands } from './commands/index.js';
export { UsageError } from './command.js';
export type { Command, CommandInput, OptionSpec, PositionalSpec } from './command.js';

/** The shape of one `jvae` subcommand: its flags, its help text and what it runs. */

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in --help; the value's name follows the flag, e.g. `--out DIR`. */
  description: string;
  valueName?: string;
  multiple?: boolean;
}

export interface PositionalSpec {
  name: string;
  description: string;
  optional?: boolean;
}

export interface CommandInput {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface Command {
  /** Words after `jvae`, e.g. `['sweep', 'submit']`. */
  path: string[];
  summary: string;
  positionals?: PositionalSpec[];
  options?: Record<string, OptionSpec>;
  /** Extra lines shown under the usage in --help. */
  details?: string;
  /** Resolves to the process exit code. */
  run(input: CommandInput): Promise<number>;
}

/** A bad flag or argument: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

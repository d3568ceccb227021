/** Typed reading of flag values, with errors that name the flag. */
import { UsageError, type CommandInput } from './command.js';

export function stringFlag(input: CommandInput, name: string): string | undefined {
  const value = input.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanFlag(input: CommandInput, name: string): boolean {
  return input.values[name] === true;
}

/** An integer flag within [min, max]; undefined when absent. */
export function integerFlag(input: CommandInput, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = stringFlag(input, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new UsageError(`--${name} must be ${range}, got '${raw}'`);
  }
  return value;
}

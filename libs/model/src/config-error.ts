/** A configuration value is missing, unknown or out of range; `path` is its dotted key path. */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'ConfigError';
  }
}

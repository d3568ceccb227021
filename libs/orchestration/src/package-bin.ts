import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The command line that runs `name`, a command some installed package declares in its `bin`
 * (npm links it into node_modules/.bin), run by this Node.js. It is looked for as npm does, in
 * node_modules/.bin of `from` and of every directory above it; in this workspace every
 * package's commands are linked into the root's.
 */
export function binCommand(name: string, from: string): [string, string] {
  const start = resolve(from);
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '.bin', name);
    if (existsSync(candidate)) return [process.execPath, candidate];
    if (dirname(dir) === dir) {
      throw new Error(`cannot find the '${name}' command in node_modules/.bin of ${start} or any directory above it; run 'npm ci' at the workspace root`);
    }
  }
}

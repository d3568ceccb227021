/**
 * Runs every *.test.ts file under a project with Node's test runner and tsx,
 * against the Redis of withTestRedis (reused, or spawned for the run).
 * Node 20's --test does not expand globs, so the files are listed here.
 * Usage: node --import tsx tools/run-tests.ts PROJECT_ROOT [node --test flags]
 *        node --import tsx tools/run-tests.ts --all   (every project through Nx, one Redis for all)
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { withTestRedis } from './test-redis-env.js';

const SKIP = new Set(['node_modules', 'dist', '.nx']);

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

function run(command: string, args: string[], redisUrl: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, REDIS_URL: redisUrl } });
    child.once('error', reject);
    child.once('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
}

const root = process.argv[2] ?? '.';
if (root === '--all') {
  // The per-project runs below find this run's Redis through REDIS_URL and reuse it.
  const nx = join(import.meta.dirname, '../node_modules/.bin/nx');
  const nxArgs = ['run-many', '-t', 'test', '--parallel=1', '--outputStyle=stream', ...process.argv.slice(3)];
  process.exit(await withTestRedis((redisUrl) => run(nx, nxArgs, redisUrl)));
}
const files = testFiles(root);
if (files.length === 0) {
  console.log(`no tests in ${relative(process.cwd(), root) || '.'}`);
  process.exit(0);
}
const testArgs = ['--import', 'tsx', '--test', '--test-concurrency=1', ...process.argv.slice(3), ...files];
process.exit(await withTestRedis((redisUrl) => run(process.execPath, testArgs, redisUrl)));

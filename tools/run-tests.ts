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
/** The Nx project of test/, run on its own. */
const E2E_PROJECT = 'e2e';

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
  // The per-project runs below find this run's Redis through REDIS_URL and reuse it. Two
  // projects at a time use both cores of a small machine; the end-to-end project, whose
  // processes heartbeat and time out against each other, runs alone after them.
  const nx = join(import.meta.dirname, '../node_modules/.bin/nx');
  const nxArgs = (projects: string[]) => ['run-many', '-t', 'test', '--outputStyle=stream', ...projects, ...process.argv.slice(3)];
  process.exit(
    await withTestRedis(async (redisUrl) => {
      const units = await run(nx, nxArgs(['--parallel=2', `--exclude=${E2E_PROJECT}`]), redisUrl);
      const e2e = await run(nx, nxArgs(['--parallel=1', `--projects=${E2E_PROJECT}`]), redisUrl);
      return units || e2e;
    }),
  );
}
const files = testFiles(root);
if (files.length === 0) {
  console.log(`no tests in ${relative(process.cwd(), root) || '.'}`);
  process.exit(0);
}
const testArgs = ['--import', 'tsx', '--test', '--test-concurrency=1', ...process.argv.slice(3), ...files];
process.exit(await withTestRedis((redisUrl) => run(process.execPath, testArgs, redisUrl)));

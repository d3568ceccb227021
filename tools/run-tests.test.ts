import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNNER = join(import.meta.dirname, 'run-tests.ts');
// Nothing listens on port 1 of loopback.
const NOBODY = 'redis://127.0.0.1:1';

/** A project of one test that records the REDIS_URL it was given and the pid of the server answering there. */
async function fixtureProject(): Promise<{ dir: string; record: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'jvae-runner-'));
  const record = join(dir, 'seen.json');
  await writeFile(
    join(dir, 'probe.test.ts'),
    `import { test } from 'node:test';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
test('talks to the run\\'s Redis', async () => {
  const url = new URL(process.env.REDIS_URL!);
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write('*2\\r\\n$4\\r\\nINFO\\r\\n$6\\r\\nserver\\r\\n'));
    let data = '';
    socket.on('data', (chunk) => { data += chunk; if (data.includes('process_id:')  && data.endsWith('\\r\\n')) { socket.end(); resolve(data); } });
    socket.on('error', reject);
  });
  const pid = Number(/process_id:(\\d+)/.exec(reply)![1]);
  writeFileSync(${JSON.stringify(record)}, JSON.stringify({ url: process.env.REDIS_URL, pid }));
});
`,
  );
  return { dir, record };
}

/** Runs the runner as a fresh top-level process; one that has not ended by itself after a minute is killed (code null). */
function runRunner(project: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  // Without this the inner node --test would report to this test run instead of running its files.
  const { NODE_TEST_CONTEXT: _, ...topLevel } = env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, project], { env: topLevel, stdio: ['ignore', 'pipe', 'pipe'] });
    const hang = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(hang);
      resolve({ code, output });
    });
  });
}

function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.write('PING\r\n'));
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once('data', (d) => (socket.end(), resolve(String(d).startsWith('+PONG'))));
    socket.once('error', () => resolve(false));
  });
}

test('with nothing at REDIS_URL, the tests run against a spawned redis-server that is gone afterwards', async () => {
  const { dir, record } = await fixtureProject();
  try {
    const run = await runRunner(dir, { ...process.env, REDIS_URL: NOBODY });
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /started redis-server/);
    const seen = JSON.parse(await readFile(record, 'utf8')) as { url: string; pid: number };
    assert.notEqual(seen.url, NOBODY);
    assert.match(seen.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await answers(seen.url), false);
    assert.throws(() => process.kill(seen.pid, 0), { code: 'ESRCH' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('with neither a Redis nor redis-server on PATH, the run ends at once with the install line', async () => {
  const { dir, record } = await fixtureProject();
  const bin = join(dir, 'bin');
  await mkdir(bin);
  // PATH holds node only.
  await symlink(process.execPath, join(bin, 'node'));
  try {
    const run = await runRunner(dir, { ...process.env, REDIS_URL: NOBODY, PATH: bin });
    assert.equal(run.code, 1, `the runner did not end by itself with 1:\n${run.output}`);
    assert.match(run.output, /apt-get install redis-server/);
    assert.match(run.output, /brew install redis/);
    await assert.rejects(readFile(record), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

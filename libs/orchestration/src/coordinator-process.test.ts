// CoordinatorProcess with stand-in coordinators (real child processes), and binCommand on a temporary tree.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CoordinatorProcess, coordinatorReadyLine } from './coordinator-process.js';
import { binCommand } from './package-bin.js';

/** A node process running `script`. */
const node = (script: string) => [process.execPath, '-e', script, '--'];

/** Prints a line, its ready line in two pieces, another line; on SIGTERM says so and exits 0. */
const READY = node(`
  console.log('starting, FAKE=' + process.env.FAKE + ', args=' + process.argv.slice(1).join(' '));
  process.stdout.write(${JSON.stringify(coordinatorReadyLine('127.0.0.1:5', '127.0.0.1:6').slice(0, 20))});
  setTimeout(() => console.log(${JSON.stringify(coordinatorReadyLine('127.0.0.1:5', '127.0.0.1:6').slice(20))} + '\\nserving'), 50);
  process.on('SIGTERM', () => { console.error('stopping'); process.exit(0); });
  setInterval(() => {}, 1000);
`);

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (data: Buffer) => (text += data.toString()));
  return { stream, text: () => text };
}

describe('CoordinatorProcess', () => {
  it('waits for the ready line, reads the addresses from it, passes the rest on and stops on SIGTERM', async () => {
    const [out, err] = [collect(), collect()];
    const coordinator = await CoordinatorProcess.start({ command: READY, args: ['--workers', '0'], env: { FAKE: 'yes' }, stdout: out.stream, stderr: err.stream });
    assert.equal(coordinator.grpcAddress, '127.0.0.1:5');
    assert.equal(coordinator.httpAddress, '127.0.0.1:6');
    assert.ok(coordinator.pid > 0);
    assert.equal(await coordinator.stop(), 'code 0');
    assert.equal(out.text(), 'starting, FAKE=yes, args=--workers 0\nserving\n');
    assert.equal(err.text(), 'stopping\n');
  });

  it('fails with its output when it exits before it is ready', async () => {
    await assert.rejects(
      CoordinatorProcess.start({ command: node("console.error('coordinator: JVAE_HTTP: bad'); process.exit(2)") }),
      /^Error: the coordinator exited \(code 2\) before it was ready:\ncoordinator: JVAE_HTTP: bad\n$/,
    );
  });

  it('fails, and kills it, when it is not ready in time', async () => {
    const pidFile = join(tmpdir(), `jvae-coordinator-pid-${process.pid}`);
    await assert.rejects(
      CoordinatorProcess.start({
        command: node(`require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`),
        startTimeoutMs: 3000,
      }),
      /the coordinator did not print its ready line in 3000 ms/,
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    rmSync(pidFile);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  });
});

describe('binCommand', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'jvae-bin-'));
    mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(root, 'node_modules', '.bin', 'jvae-fake'), '');
    mkdirSync(join(root, 'apps', 'x', 'src'), { recursive: true });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('finds a command in node_modules/.bin of a directory above, to run with this node', () => {
    assert.deepEqual(binCommand('jvae-fake', join(root, 'apps', 'x', 'src')), [process.execPath, join(root, 'node_modules', '.bin', 'jvae-fake')]);
  });

  it('names the command and where it looked when it is missing', () => {
    assert.throws(() => binCommand('jvae-missing', join(root, 'apps', 'x')), /cannot find the 'jvae-missing' command in node_modules\/\.bin of .*apps\/x or any directory above it; run 'npm ci'/);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { LiveBlock } from './live-block.js';

/** A terminal-like stream `columns` wide that records what is written to it. */
function terminal(columns: number): { stream: NodeJS.WriteStream; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      writes.push(String(chunk));
      done();
    },
  });
  return { stream: Object.assign(stream, { isTTY: true, columns }) as unknown as NodeJS.WriteStream, writes };
}

test('each redraw moves up over the previous block, clears it and draws the new one', () => {
  const { stream, writes } = terminal(80);
  const block = new LiveBlock(stream, 0);
  block.show(['header', 'a 1/10']);
  block.show(['header', 'a 2/10', 'b 0/10']);
  assert.deepEqual(writes, ['\x1b[Jheader\na 1/10\n', '\x1b[2F\x1b[Jheader\na 2/10\nb 0/10\n']);
});

test('an unchanged block is not drawn again; after end() the next block starts below', () => {
  const { stream, writes } = terminal(80);
  const block = new LiveBlock(stream, 0);
  block.show(['x']);
  block.show(['x']);
  assert.equal(writes.length, 1);
  block.end();
  block.show(['x']);
  assert.deepEqual(writes, ['\x1b[Jx\n', '\x1b[Jx\n']);
});

test('lines wider than the terminal are cut so the cursor arithmetic holds', () => {
  const { stream, writes } = terminal(30);
  new LiveBlock(stream, 0).show(['y'.repeat(50)]);
  assert.equal(writes[0], `\x1b[J${'y'.repeat(28)}…\n`);
});

test('redraws within the interval are coalesced into the latest one', async () => {
  const { stream, writes } = terminal(80);
  const block = new LiveBlock(stream, 50);
  block.show(['1']);
  block.show(['2']);
  block.show(['3']);
  assert.equal(writes.length, 1);
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(writes, ['\x1b[J1\n', '\x1b[1F\x1b[J3\n']);
});

// A child process of bench/allreduce.bench.ts: one ring rank, one end of the
// raw TCP baseline, or one end of the raw gRPC baseline. Driven over IPC:
//   {role: 'ring', rank, world, segmentBytes?, float16?} -> {address}; then {predecessor} joins the ring
//   {role: 'tcp-sink'}             -> {port}; then {expect: bytes} -> {expecting}: acknowledges every `bytes` with one byte
//   {role: 'tcp-source', port}     -> {connected}: sends to the sink
//   {role: 'grpc-pair'}            -> {port}; then {peer: port} -> {connected}: both ends stream to each other
//   {run: {bytes, reps, warmup}}   -> {seconds: [one per rep], check}
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { GradSyncServer, type RingMember } from '@jvae/gradsync';

type Command =
  | { role: 'ring'; rank: number; world: number; segmentBytes?: number; float16?: boolean }
  | { predecessor: string }
  | { role: 'tcp-sink' }
  | { role: 'tcp-source'; port: number }
  | { role: 'grpc-pair' }
  | { peer: number }
  | { expect: number }
  | { run: { bytes: number; reps: number; warmup: number } };

interface Run {
  seconds: number[];
  check: number;
}

const reply = (message: object) => process.send!(message);
/** What `run` times: set by the role. */
let run: (bytes: number, reps: number, warmup: number) => Promise<Run>;

async function timed(reps: number, warmup: number, once: (i: number) => Promise<void>): Promise<number[]> {
  const seconds: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const start = performance.now();
    await once(i);
    if (i >= warmup) seconds.push((performance.now() - start) / 1000);
  }
  return seconds;
}

/** All-reduces; `check` is element 0 of the last sum (rank r contributes r + 1). */
async function ringRole(command: Extract<Command, { role: 'ring' }>): Promise<void> {
  const server = await GradSyncServer.start({ listen: '127.0.0.1:0' });
  let member: RingMember | undefined;
  process.on('message', (m: Command) => {
    if ('predecessor' in m) {
      const { rank, world, segmentBytes, float16 } = command;
      member = server.joinRing({ groupId: 'bench', generation: 0, rank, world, segmentBytes, float16, predecessor: m.predecessor, timeoutMs: 60_000 });
    }
  });
  run = async (bytes, reps, warmup) => {
    const data = new Float32Array(bytes / 4);
    const seconds = await timed(reps, warmup, async (i) => {
      data.fill(command.rank + 1);
      await member!.allReduce(i, data);
    });
    return { seconds, check: data[0] };
  };
  reply({ address: server.address });
}

function tcpSinkRole(): void {
  let expected = Infinity;
  let received = 0;
  const listener = net.createServer({ noDelay: true }, (socket) => {
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received >= expected) {
        received -= expected;
        socket.write('k');
      }
    });
  });
  process.on('message', (m: Command) => {
    if (!('expect' in m)) return;
    expected = m.expect;
    reply({ expecting: expected });
  });
  listener.listen(0, '127.0.0.1', () => reply({ port: (listener.address() as net.AddressInfo).port }));
}

/** Sends `bytes` in blocks of up to 4 MiB, each time until the sink acknowledges them. */
function tcpSourceRole(port: number): void {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  run = async (bytes, reps, warmup) => {
    const block = Buffer.alloc(Math.min(bytes, 4 << 20), 1);
    const seconds = await timed(reps, warmup, () =>
      new Promise<void>((resolve) => {
        socket.once('data', () => resolve());
        let sent = 0;
        const pump = () => {
          while (sent < bytes) {
            const n = Math.min(block.length, bytes - sent);
            sent += n;
            if (!socket.write(n === block.length ? block : block.subarray(0, n))) return void socket.once('drain', pump);
          }
        };
        pump();
      }),
    );
    return { seconds, check: 0 };
  };
  socket.once('connect', () => reply({ connected: true }));
}

/**
 * The most grpc-js carries here when two processes stream to each other at
 * once (as two ranks do): raw 1 MiB messages, no ring logic, the receive
 * window raised as the ring raises it. Each run asks the peer for `bytes`.
 */
async function grpcPairRole(): Promise<void> {
  const raw = (b: Buffer) => b;
  const method = { requestStream: false, responseStream: true, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw };
  const definition = { Pour: { path: '/bench.Pair/Pour', ...method } };
  const server = new grpc.Server();
  server.addService(definition, {
    Pour: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      let left = call.request.readUInt32BE(0);
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, 1 << 20);
          left -= n;
          if (!call.write(Buffer.allocUnsafe(n).fill(1))) return void call.once('drain', pump);
        }
        call.end();
      };
      pump();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  process.on('message', (m: Command) => {
    if (!('peer' in m)) return;
    const Pair = grpc.makeGenericClientConstructor(definition, 'Pair');
    const client = new Pair(`127.0.0.1:${m.peer}`, grpc.credentials.createInsecure(), { 'grpc-node.flow_control_window': 64 << 20 });
    client.waitForReady(Date.now() + 10_000, () => reply({ connected: true }));
    run = async (bytes, reps, warmup) => {
      const request = Buffer.alloc(4);
      request.writeUInt32BE(bytes);
      const seconds = await timed(reps, warmup, () =>
        new Promise<void>((resolve, reject) => {
          const call = client.makeServerStreamRequest('/bench.Pair/Pour', raw, raw, request);
          call.on('data', () => {});
          call.on('end', () => resolve());
          call.on('error', reject);
        }),
      );
      return { seconds, check: 0 };
    };
  });
  reply({ port });
}

process.on('message', async (command: Command) => {
  if ('role' in command) {
    if (command.role === 'ring') await ringRole(command);
    else if (command.role === 'tcp-sink') tcpSinkRole();
    else if (command.role === 'tcp-source') tcpSourceRole(command.port);
    else await grpcPairRole();
  } else if ('run' in command) {
    const { bytes, reps, warmup } = command.run;
    reply(await run(bytes, reps, warmup));
  }
});

// Health, reflection, token checks, TLS and the typed client against a real
// gRPC server on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { checkToken } from './auth.js';
import { coordinatorClient } from './coordinator-connection.js';
import type { CheckpointChunk, CheckpointChunk__Output, CoordinatorHandlers } from './generated/index.js';
import { HEALTH_SERVICE, checkHealth, serveHealthAndReflection } from './health.js';
import { selfSignedTlsFiles } from './test-tls.js';
import { loadProtos } from './protos.js';
import { clientCredentials, serverCredentials } from './tls.js';

const TOKEN = 'test-token';

/** A partial Coordinator whose calls all require TOKEN. */
const handlers: Pick<CoordinatorHandlers, 'ListWorkers' | 'UploadCheckpoint' | 'DownloadCheckpoint'> = {
  ListWorkers(call, callback) {
    const denied = checkToken(call, TOKEN);
    if (denied) return callback(denied);
    callback(null, { workers: [{ id: 'w1', host: 'h', pid: 42, backend: 'cpu', state: 'IDLE', lastHeartbeat: 1 }] });
  },
  UploadCheckpoint(call, callback) {
    const denied = checkToken(call, TOKEN);
    if (denied) return callback(denied);
    const received: CheckpointChunk__Output[] = [];
    call.on('data', (chunk: CheckpointChunk__Output) => received.push(chunk));
    call.on('end', () => {
      const bytes = received.reduce((n, c) => n + (c.file?.data.length ?? 0), 0);
      const first = received[0];
      if (first?.part !== 'manifest') return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'manifest first' });
      callback(null, { ok: true, checkpointId: `${first.manifest?.trialId}-${bytes}-${received.length}` });
    });
  },
  DownloadCheckpoint(call) {
    const denied = checkToken(call, TOKEN);
    if (denied) return call.emit('error', denied);
    call.write({ manifest: { id: 'c1', trialId: call.request.trialId, files: [{ path: 'a', size: 3 }] } });
    call.write({ file: { path: 'a', offset: 0, data: Buffer.from('abc') } });
    call.end();
  },
};

async function startServer(credentials: grpc.ServerCredentials): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  server.addService(loadProtos().proto.jvae.v1.Coordinator.service, handlers);
  serveHealthAndReflection(server, ['jvae.v1.Coordinator']);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, p) => (error ? reject(error) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${port}` };
}


let plain: { server: grpc.Server; address: string };
before(async () => {
  plain = await startServer(grpc.ServerCredentials.createInsecure());
});
after(() => plain.server.forceShutdown());

test('health Check answers SERVING for the server and the named service', async () => {
  assert.equal((await checkHealth(plain.address, '')).status, 'SERVING');
  assert.equal((await checkHealth(plain.address, 'jvae.v1.Coordinator')).status, 'SERVING');
  await assert.rejects(checkHealth(plain.address, 'jvae.v1.Nope'), { code: grpc.status.NOT_FOUND });
});

test('reflection lists the services and describes them', async () => {
  const reflectionProto = createRequire(import.meta.url).resolve(
    '@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto',
  );
  const definition = protoLoader.loadSync(reflectionProto, { keepCase: true, defaults: true, oneofs: true });
  type ReflectionClient = grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, Record<string, any>> };
  const Reflection = (grpc.loadPackageDefinition(definition) as any).grpc.reflection.v1.ServerReflection;
  const client: ReflectionClient = new Reflection(plain.address, grpc.credentials.createInsecure());
  const call = client.ServerReflectionInfo();
  const responses: Record<string, any>[] = [];
  call.on('data', (r: Record<string, any>) => responses.push(r));
  const done = new Promise((resolve, reject) => {
    call.on('end', resolve);
    call.on('error', reject);
  });
  call.write({ list_services: '*' });
  call.write({ file_containing_symbol: 'jvae.v1.Coordinator' });
  call.end();
  await done;
  client.close();
  const names = responses[0].list_services_response.service.map((s: { name: string }) => s.name).sort();
  assert.deepEqual(names, [HEALTH_SERVICE, 'jvae.v1.Coordinator']);
  assert.ok(responses[1].file_descriptor_response.file_descriptor_proto.length >= 1);
});

test('serveHealthAndReflection refuses an unknown service name', () => {
  assert.throws(() => serveHealthAndReflection(new grpc.Server(), ['jvae.v1.Trial']), /unknown gRPC service 'jvae.v1.Trial'/);
});

test('calls without the right token are UNAUTHENTICATED; with it they pass', async () => {
  const anonymous = coordinatorClient(plain.address);
  const wrong = coordinatorClient(plain.address, { token: 'nope' });
  const right = coordinatorClient(plain.address, { token: TOKEN });
  try {
    await assert.rejects(anonymous.listWorkers(), { code: grpc.status.UNAUTHENTICATED, details: /missing bearer token/ });
    await assert.rejects(wrong.listWorkers(), { code: grpc.status.UNAUTHENTICATED, details: /wrong token/ });
    const { workers } = await right.listWorkers();
    assert.equal(workers[0].id, 'w1');
    assert.equal(workers[0].state, 'IDLE');
    assert.equal(workers[0].currentTrial, '');
    await assert.rejects(right.getSweep({ id: 'x' }), { code: grpc.status.UNIMPLEMENTED });
  } finally {
    for (const c of [anonymous, wrong, right]) c.close();
  }
});

test('uploadCheckpoint streams chunks with backpressure; downloadCheckpoint streams them back', async () => {
  const client = coordinatorClient(plain.address, { token: TOKEN });
  try {
    async function* chunks(): AsyncGenerator<CheckpointChunk> {
      yield { manifest: { trialId: 't7', step: 3, files: [{ path: 'weights.bin', sha256: 'x', size: 64 * 65536 }] } };
      for (let i = 0; i < 64; i++) {
        yield { file: { path: 'weights.bin', offset: i * 65536, data: Buffer.alloc(65536, i) } };
      }
    }
    const response = await client.uploadCheckpoint(chunks());
    assert.deepEqual(response, { ok: true, checkpointId: `t7-${64 * 65536}-65` });

    const parts: CheckpointChunk__Output[] = [];
    for await (const part of client.downloadCheckpoint({ trialId: 't7' })) parts.push(part);
    assert.deepEqual(parts.map((p) => p.part), ['manifest', 'file']);
    assert.equal(parts[0].manifest?.trialId, 't7');
    assert.equal(parts[1].file?.data.toString(), 'abc');

    await assert.rejects(async () => {
      for await (const _ of coordinatorClient(plain.address).downloadCheckpoint({ trialId: 't7' })) void _;
    }, { code: grpc.status.UNAUTHENTICATED });
  } finally {
    client.close();
  }
});

test('aborting an upload cancels the call, stops reading the chunks and rejects with the reason', async () => {
  const client = coordinatorClient(plain.address, { token: TOKEN });
  const controller = new AbortController();
  const reason = new Error('shutting down');
  let sent = 0;
  let closed = false;
  async function* endless(): AsyncGenerator<CheckpointChunk> {
    try {
      yield { manifest: { trialId: 't8', step: 1, files: [] } };
      for (;;) {
        yield { file: { path: 'big.bin', offset: sent * 65536, data: Buffer.alloc(65536) } };
        if (++sent === 8) controller.abort(reason);
      }
    } finally {
      closed = true;
    }
  }
  try {
    await assert.rejects(client.uploadCheckpoint(endless(), controller.signal), (err) => err === reason);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(closed, 'the chunk source is closed');
    assert.ok(sent < 100, `stopped after ${sent} chunks`);
    await assert.rejects(client.uploadCheckpoint(endless(), controller.signal), (err) => err === reason);
  } finally {
    client.close();
  }
});

test('TLS from cert files: the client trusts the CA and reaches the server', async (t) => {
  const files = selfSignedTlsFiles(t);
  if (!files) return;
  const secure = await startServer(serverCredentials(files));
  t.after(() => secure.server.forceShutdown());
  assert.equal((await checkHealth(secure.address, '', clientCredentials({ ca: files.ca }))).status, 'SERVING');
  const client = coordinatorClient(secure.address, { token: TOKEN, tls: { ca: files.ca } });
  t.after(() => client.close());
  assert.equal((await client.listWorkers()).workers.length, 1);
  await assert.rejects(checkHealth(secure.address, ''), { code: grpc.status.UNAVAILABLE });
});

test('unreadable TLS files are reported with their variable', () => {
  assert.throws(() => serverCredentials({ cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' }), /JVAE_TLS_CERT: cannot read/);
  assert.throws(() => clientCredentials({ ca: '/nonexistent/ca.pem' }), /JVAE_TLS_CA: cannot read/);
});

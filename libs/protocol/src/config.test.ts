import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { BACKEND_REQUESTS } from '@jvae/model/config';
import { ConfigError, loadConfig, loadGradSyncSettings, parseHostPort } from './config.js';

test('defaults when nothing is set', () => {
  assert.deepEqual(loadConfig({}), {
    redisUrl: 'redis://127.0.0.1:6379',
    coordinator: '127.0.0.1:50051',
    http: '127.0.0.1:8080',
    token: undefined,
    artifacts: resolve('.jvae/artifacts'),
    backend: 'auto',
    prefix: 'jvae',
    tls: undefined,
    maxWatches: 64,
  });
});

test('reads every variable', () => {
  const config = loadConfig({
    REDIS_URL: 'rediss://:secret@redis.example:6380/2',
    JVAE_COORDINATOR: '[::1]:7000',
    JVAE_HTTP: 'localhost:9000',
    JVAE_TOKEN: 'tok',
    JVAE_ARTIFACTS: '/data/artifacts',
    JVAE_BACKEND: 'wasm',
    JVAE_PREFIX: 'test-1',
    JVAE_TLS_CERT: '/c.pem',
    JVAE_TLS_KEY: '/k.pem',
    JVAE_TLS_CA: '/ca.pem',
    JVAE_MAX_WATCHES: '8',
  });
  assert.equal(config.redisUrl, 'rediss://:secret@redis.example:6380/2');
  assert.equal(config.coordinator, '[::1]:7000');
  assert.equal(config.http, 'localhost:9000');
  assert.equal(config.token, 'tok');
  assert.equal(config.artifacts, '/data/artifacts');
  assert.equal(config.backend, 'wasm');
  assert.equal(config.prefix, 'test-1');
  assert.deepEqual(config.tls, { cert: '/c.pem', key: '/k.pem', ca: '/ca.pem' });
  assert.equal(config.maxWatches, 8);
});

test('an empty variable means unset', () => {
  assert.equal(loadConfig({ JVAE_TOKEN: '', JVAE_BACKEND: ' ' }).token, undefined);
  assert.equal(loadConfig({ JVAE_BACKEND: '' }).backend, 'auto');
});

test('bad values name the variable', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ JVAE_COORDINATOR: 'localhost' }, 'JVAE_COORDINATOR'],
    [{ JVAE_HTTP: 'host:99999' }, 'JVAE_HTTP'],
    [{ JVAE_BACKEND: 'cuda' }, 'JVAE_BACKEND'],
    [{ JVAE_PREFIX: 'a b' }, 'JVAE_PREFIX'],
    [{ JVAE_TLS_CERT: '/c.pem' }, 'JVAE_TLS_KEY'],
    [{ JVAE_TLS_KEY: '/k.pem' }, 'JVAE_TLS_CERT'],
    [{ JVAE_MAX_WATCHES: '0' }, 'JVAE_MAX_WATCHES'],
    [{ JVAE_MAX_WATCHES: 'lots' }, 'JVAE_MAX_WATCHES'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && error.variable === variable && error.message.startsWith(variable),
      JSON.stringify(env),
    );
  }
});

test('JVAE_BACKEND takes exactly the backends selectBackend loads', () => {
  for (const name of BACKEND_REQUESTS) assert.equal(loadConfig({ JVAE_BACKEND: name }).backend, name);
  assert.throws(
    () => loadConfig({ JVAE_BACKEND: 'webgpu' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message === "JVAE_BACKEND: expected one of auto, tensorflow, wasm, cpu, got 'webgpu'",
  );
});

test('parseHostPort splits host and port', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:0', 'listen'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseHostPort('[::1]:5', 'listen'), { host: '[::1]', port: 5 });
  assert.throws(() => parseHostPort('127.0.0.1', 'listen'), /listen: expected host:port/);
});

test('GradSync settings: listen on every interface by default, advertise a host when told', () => {
  assert.deepEqual(loadGradSyncSettings({}), { listen: '0.0.0.0:0' });
  assert.deepEqual(loadGradSyncSettings({ JVAE_GRADSYNC_LISTEN: '10.0.0.5:7070', JVAE_GRADSYNC_HOST: 'worker-3.ranks' }), {
    listen: '10.0.0.5:7070',
    host: 'worker-3.ranks',
  });
  assert.deepEqual(loadGradSyncSettings({ JVAE_GRADSYNC_HOST: '[fd00::7]' }), { listen: '0.0.0.0:0', host: '[fd00::7]' });
  for (const [env, variable] of [
    [{ JVAE_GRADSYNC_LISTEN: '7070' }, 'JVAE_GRADSYNC_LISTEN'],
    [{ JVAE_GRADSYNC_HOST: 'worker 3' }, 'JVAE_GRADSYNC_HOST'],
    [{ JVAE_GRADSYNC_HOST: 'host:1' }, 'JVAE_GRADSYNC_HOST'],
  ] as const) {
    assert.throws(() => loadGradSyncSettings(env), (error: unknown) => error instanceof ConfigError && error.variable === variable, JSON.stringify(env));
  }
});

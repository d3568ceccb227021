import { resolve } from 'node:path';
import { BACKEND_REQUESTS, type BackendRequest } from '@jvae/model/config';
import { PREFIX_PATTERN } from './keys.js';

/** Paths of PEM files; any subset may be set (see tls.ts for how each side uses them). */
export interface TlsFiles {
  cert?: string;
  key?: string;
  ca?: string;
}

export interface JvaeConfig {
  /** REDIS_URL: redis:// or rediss:// URL (auth and TLS go in the URL). */
  redisUrl: string;
  /** JVAE_COORDINATOR: the coordinator's gRPC host:port. */
  coordinator: string;
  /** JVAE_HTTP: the coordinator's HTTP host:port (dashboard, /api, /metrics). */
  http: string;
  /** JVAE_TOKEN: shared API token; undefined means no auth. */
  token?: string;
  /** JVAE_ARTIFACTS: checkpoint store directory, absolute. */
  artifacts: string;
  /** JVAE_BACKEND: one of the backends selectBackend loads. */
  backend: BackendRequest;
  /** JVAE_PREFIX: every Redis key and BullMQ queue lives under it. */
  prefix: string;
  /** JVAE_TLS_CERT / JVAE_TLS_KEY / JVAE_TLS_CA; undefined when none is set. */
  tls?: TlsFiles;
  /** JVAE_MAX_WATCHES: WatchSweep streams the coordinator serves at once (each holds a Redis connection). */
  maxWatches: number;
}

/** Where a worker's GradSync server (the data-parallel ring) listens and how other ranks reach it. */
export interface GradSyncSettings {
  /** JVAE_GRADSYNC_LISTEN: host:port to listen on (port 0 picks a free one); default 0.0.0.0:0. */
  listen: string;
  /** JVAE_GRADSYNC_HOST: host other ranks reach this one by; unset means the listen host, or the host name on a wildcard. */
  host?: string;
}

/** A bad environment variable; `variable` names it. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** Where REDIS_URL points when it is unset. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The variable's value without surrounding spaces; an empty or blank one counts as unset. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The variable as an integer >= `min`, or undefined when unset; anything else throws ConfigError naming it. */
export function envInteger(env: Env, name: string, min: number): number | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(name, `expected an integer ≥ ${min}, got '${raw}'`);
  }
  return value;
}

function read(env: Env, name: string, fallback: string): string {
  return envValue(env, name) ?? fallback;
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Splits `host:port` (IPv6 in brackets); a bad value throws ConfigError naming `name`. */
export function parseHostPort(value: string, name: string): { host: string; port: number } {
  const match = HOST_PORT.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new ConfigError(name, `expected host:port (e.g. 127.0.0.1:50051), got '${value}'`);
  }
  return { host: match[1], port };
}

function redisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('REDIS_URL', `not a URL: '${value}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `expected a redis:// or rediss:// URL, got '${url.protocol}'`);
  }
  return value;
}

function backend(value: string): BackendRequest {
  if (!(BACKEND_REQUESTS as readonly string[]).includes(value)) {
    throw new ConfigError('JVAE_BACKEND', `expected one of ${BACKEND_REQUESTS.join(', ')}, got '${value}'`);
  }
  return value as BackendRequest;
}

function prefix(value: string): string {
  if (!PREFIX_PATTERN.test(value)) {
    throw new ConfigError('JVAE_PREFIX', `only letters, digits, '_', '.' and '-' are allowed, got '${value}'`);
  }
  return value;
}

function tlsFiles(env: Env): TlsFiles | undefined {
  const files: TlsFiles = {
    cert: envValue(env, 'JVAE_TLS_CERT'),
    key: envValue(env, 'JVAE_TLS_KEY'),
    ca: envValue(env, 'JVAE_TLS_CA'),
  };
  if (files.cert && !files.key) throw new ConfigError('JVAE_TLS_KEY', 'required when JVAE_TLS_CERT is set');
  if (files.key && !files.cert) throw new ConfigError('JVAE_TLS_CERT', 'required when JVAE_TLS_KEY is set');
  return files.cert || files.ca ? files : undefined;
}

/** Reads and validates the GradSync settings; a bad value throws ConfigError naming the variable. */
export function loadGradSyncSettings(env: Env = process.env): GradSyncSettings {
  const listen = read(env, 'JVAE_GRADSYNC_LISTEN', '0.0.0.0:0');
  parseHostPort(listen, 'JVAE_GRADSYNC_LISTEN');
  const host = envValue(env, 'JVAE_GRADSYNC_HOST');
  if (host !== undefined && !HOST_PORT.test(`${host}:0`)) {
    throw new ConfigError('JVAE_GRADSYNC_HOST', `expected a host name or IP address (IPv6 in brackets), got '${host}'`);
  }
  return host === undefined ? { listen } : { listen, host };
}

/** Reads and validates the shared settings; a bad value throws ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): JvaeConfig {
  const coordinator = read(env, 'JVAE_COORDINATOR', '127.0.0.1:50051');
  const http = read(env, 'JVAE_HTTP', '127.0.0.1:8080');
  parseHostPort(coordinator, 'JVAE_COORDINATOR');
  parseHostPort(http, 'JVAE_HTTP');
  return {
    redisUrl: redisUrl(read(env, 'REDIS_URL', DEFAULT_REDIS_URL)),
    coordinator,
    http,
    token: envValue(env, 'JVAE_TOKEN'),
    artifacts: resolve(read(env, 'JVAE_ARTIFACTS', './.jvae/artifacts')),
    backend: backend(read(env, 'JVAE_BACKEND', 'auto')),
    prefix: prefix(read(env, 'JVAE_PREFIX', 'jvae')),
    tls: tlsFiles(env),
    maxWatches: envInteger(env, 'JVAE_MAX_WATCHES', 1) ?? 64,
  };
}

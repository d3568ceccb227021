/** `jvae up`: a local pool in the foreground: Redis, the coordinator and N workers, until Ctrl-C. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { integerFlag, stringFlag } from '../flags.js';

export const DEFAULT_LOCAL_WORKERS = 2;

/** Where the Redis that `jvae up` spawns keeps its data unless JVAE_REDIS_DIR says otherwise. */
function defaultRedisDir(): string {
  const dataHome = process.env.XDG_DATA_HOME?.trim() || join(homedir(), '.local', 'share');
  return join(dataHome, 'jvae', 'redis');
}

export const upCommand: Command = {
  path: ['up'],
  summary: 'Run a local pool in the foreground: Redis, the coordinator (gRPC + dashboard) and N workers',
  details: [
    'Redis: the one at REDIS_URL if set (it must answer), else 127.0.0.1:6379 if it answers, else a',
    `redis-server from PATH on a free port, keeping an append-only file in JVAE_REDIS_DIR (default`,
    `${defaultRedisDir()}), so sweeps survive a restart. Ctrl-C or SIGTERM stops the`,
    'workers (each finishes or releases its trial), the coordinator and a spawned Redis.',
    'Environment: REDIS_URL, JVAE_REDIS_DIR, JVAE_PREFIX, JVAE_COORDINATOR, JVAE_HTTP, JVAE_TOKEN, JVAE_ARTIFACTS,',
    'JVAE_BACKEND (for the workers), JVAE_TLS_CERT / JVAE_TLS_KEY / JVAE_TLS_CA.',
  ].join('\n'),
  options: {
    workers: { type: 'string', valueName: 'N', description: `Local worker processes (default ${DEFAULT_LOCAL_WORKERS})` },
    grpc: { type: 'string', valueName: 'ADDR', description: 'gRPC host:port to listen on (default JVAE_COORDINATOR or 127.0.0.1:50051)' },
    http: { type: 'string', valueName: 'ADDR', description: 'Dashboard host:port to listen on (default JVAE_HTTP or 127.0.0.1:8080)' },
  },
  async run(input) {
    const workers = integerFlag(input, 'workers', 0) ?? DEFAULT_LOCAL_WORKERS;
    const [{ envValue, loadConfig, parseHostPort }, { LocalCluster }, { Interrupts }, { httpUrl }] = await Promise.all([
      import('@jvae/protocol'),
      import('../local-cluster.js'),
      import('../interrupts.js'),
      import('../format.js'),
    ]);
    const config = loadConfig();
    const grpc = stringFlag(input, 'grpc') ?? config.coordinator;
    const http = stringFlag(input, 'http') ?? config.http;
    parseHostPort(grpc, '--grpc');
    parseHostPort(http, '--http');
    const log = (line: string) => console.error(`[jvae up] ${line}`);
    const interrupts = new Interrupts(log);
    try {
      const cluster = await LocalCluster.start({
        workers,
        grpc,
        http,
        prefix: config.prefix,
        redisUrl: envValue(process.env, 'REDIS_URL'),
        redisDataDir: envValue(process.env, 'JVAE_REDIS_DIR') ?? defaultRedisDir(),
        log,
      });
      const lines = [
        `jvae up: coordinator ${cluster.grpcAddress}, ${workers} worker(s), Redis prefix '${cluster.prefix}'`,
        `  dashboard: ${httpUrl(cluster.httpAddress)}`,
        `  queues:    ${httpUrl(cluster.httpAddress, '/queues')}`,
      ];
      if (cluster.grpcAddress !== config.coordinator || cluster.httpAddress !== config.http) {
        lines.push(`  in other shells: export JVAE_COORDINATOR=${cluster.grpcAddress} JVAE_HTTP=${cluster.httpAddress}`);
      }
      lines.push('  submit a sweep: jvae sweep submit examples/sweeps/mnist-capacity.yaml --watch', 'Press Ctrl-C to stop.');
      console.log(lines.join('\n'));
      const ended = await Promise.race([interrupts.received().then(() => null), cluster.exited]);
      if (ended !== null) log(`the coordinator exited on its own (${ended}); stopping`);
      await cluster.stop();
      log('stopped');
      return ended === null ? 0 : 1;
    } finally {
      interrupts.dispose();
    }
  },
};

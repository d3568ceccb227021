/** The environment the coordinator-facing commands read, for their --help. */
export const COORDINATOR_ENV_HELP = [
  'Environment: JVAE_COORDINATOR (gRPC host:port, default 127.0.0.1:50051), JVAE_TOKEN (API token),',
  'JVAE_TLS_CA / JVAE_TLS_CERT / JVAE_TLS_KEY (TLS). Start a local coordinator with: jvae up',
].join('\n');

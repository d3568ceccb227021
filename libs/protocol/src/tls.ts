import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ConfigError, type TlsFiles } from './config.js';

function readPem(path: string | undefined, variable: string): Buffer | null {
  if (!path) return null;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(variable, `cannot read '${path}': ${(error as Error).message}`);
  }
}

/**
 * Server credentials: TLS with JVAE_TLS_CERT + JVAE_TLS_KEY when set,
 * plaintext otherwise. Clients are authenticated by token, not certificate.
 */
export function serverCredentials(tls: TlsFiles | undefined): grpc.ServerCredentials {
  if (!tls?.cert) return grpc.ServerCredentials.createInsecure();
  const cert = readPem(tls.cert, 'JVAE_TLS_CERT');
  const key = readPem(tls.key, 'JVAE_TLS_KEY');
  if (!cert || !key) throw new ConfigError('JVAE_TLS_KEY', 'required when JVAE_TLS_CERT is set');
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
}

/**
 * Client credentials: TLS when any TLS file is configured, trusting
 * JVAE_TLS_CA (or the system roots) and presenting JVAE_TLS_CERT/KEY as a
 * client certificate when both are set; plaintext otherwise.
 */
export function clientCredentials(tls: TlsFiles | undefined): grpc.ChannelCredentials {
  if (!tls?.ca && !tls?.cert) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(
    readPem(tls.ca, 'JVAE_TLS_CA'),
    readPem(tls.key, 'JVAE_TLS_KEY'),
    readPem(tls.cert, 'JVAE_TLS_CERT'),
  );
}

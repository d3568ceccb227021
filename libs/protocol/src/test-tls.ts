// Test support: a self-signed certificate for loopback, as the TLS settings' files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { TlsFiles } from './config.js';

/**
 * Makes a certificate for 127.0.0.1/localhost that is its own CA, removed after the test;
 * skips the test (and returns undefined) where openssl is not available.
 */
export function selfSignedTlsFiles(t: TestContext): TlsFiles | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'jvae-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files: TlsFiles = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), ca: join(dir, 'cert.pem') };
  const openssl = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', files.key!, '-out', files.cert!,
  ], { encoding: 'utf8' });
  if (openssl.error || openssl.status !== 0) {
    t.skip('openssl is not available to make a test certificate');
    return undefined;
  }
  return files;
}

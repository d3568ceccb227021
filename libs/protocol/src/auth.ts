import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

export const AUTH_METADATA_KEY = 'authorization';

/**
 * Constant-time comparison of two secrets. Both are hashed first so the
 * buffers have equal length and the comparison reveals nothing, not even the
 * expected length.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` value, or undefined when absent or malformed. */
export function parseBearer(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1] : undefined;
}

/** Adds `authorization: Bearer <token>` to `metadata` (when a token is given) and returns it. */
export function withToken(metadata: grpc.Metadata, token: string | undefined): grpc.Metadata {
  if (token) metadata.set(AUTH_METADATA_KEY, `Bearer ${token}`);
  return metadata;
}

/**
 * Server side: null when the call may proceed (no token expected, or the
 * right one sent), otherwise an UNAUTHENTICATED error to pass to the callback
 * or emit on the stream.
 */
export function checkToken(
  call: { metadata: grpc.Metadata },
  expected: string | undefined,
): grpc.ServerErrorResponse | null {
  if (!expected) return null;
  const values = call.metadata.get(AUTH_METADATA_KEY);
  const token = parseBearer(typeof values[0] === 'string' ? values[0] : undefined);
  if (token !== undefined && tokensEqual(token, expected)) return null;
  const reason = token === undefined ? 'missing bearer token' : 'wrong token';
  const details = `${reason}; send metadata 'authorization: Bearer <JVAE_TOKEN>'`;
  return Object.assign(new Error(details), { code: grpc.status.UNAUTHENTICATED, details });
}

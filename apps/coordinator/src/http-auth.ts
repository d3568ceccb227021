import type { NextFunction, Request, Response } from 'express';
import { parseBearer, tokensEqual } from '@jvae/protocol';

const COOKIE = 'jvae_token';

/** The token a request carries: `Authorization: Bearer`, `?token=`, or the cookie set by an earlier `?token=`. */
function presented(req: Request): string | undefined {
  const query = typeof req.query.token === 'string' ? req.query.token : undefined;
  return parseBearer(req.headers.authorization) ?? query ?? cookie(req.headers.cookie, COOKIE);
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * Requires `token` (when set) on the routes it guards, compared in constant time. A valid
 * `?token=` also sets an HttpOnly cookie, so that pages such as bull-board, whose own requests
 * cannot carry the query, keep working.
 */
export function requireToken(token: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!token) return next();
    const given = presented(req);
    if (given !== undefined && tokensEqual(given, token)) {
      if (typeof req.query.token === 'string') {
        res.cookie(COOKIE, given, { httpOnly: true, sameSite: 'strict', path: '/' });
      }
      return next();
    }
    res.status(401).json({
      error: `${given === undefined ? 'missing' : 'wrong'} token: send 'Authorization: Bearer <JVAE_TOKEN>' or ?token=<JVAE_TOKEN>`,
    });
  };
}

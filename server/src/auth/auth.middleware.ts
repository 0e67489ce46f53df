import type Koa from 'koa';
import { ApiError } from '@jobflow/shared';
import type { ClientInfo } from '../http/client-address';
import type { Authenticator, Principal } from './authenticate';
import { sessionFromCookieHeader } from './session-cookie';

declare module 'koa' {
  interface DefaultState {
    principal?: Principal;
    /** How the caller proved who they are: a bearer header (scripts) or the session cookie (the browser). */
    credential?: 'bearer' | 'cookie';
    /** A credential was sent but admits no one (bad signature, expired, revoked, ended, disabled user). */
    isCredentialRefused?: boolean;
    body?: unknown;
    client?: ClientInfo;
  }
}

const bearer = (header: string | undefined) => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const isJsonType = (type: string) => /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type.trim());

/**
 * Finds out who is calling an /api path, before any body is read: an
 * `Authorization: Bearer` token (either kind) or else the session cookie.
 * A request signed in by the cookie that changes something must say
 * `Content-Type: application/json` (415 otherwise): a page on another site
 * cannot send that without a CORS preflight this server never grants, so,
 * with the cookie's SameSite=Strict, a forged form or image cannot act for a
 * signed-in user.
 */
export const authenticateMiddleware =
  (auth: Authenticator): Koa.Middleware =>
  async (ctx, next) => {
    if (!ctx.path.startsWith('/api/')) return next();
    const header = bearer(ctx.get('authorization'));
    const cookie = header ? null : sessionFromCookieHeader(ctx.get('cookie'));
    const token = header ?? cookie;
    if (!token) return next();
    const principal = await auth.authenticate(token);
    if (!principal) {
      ctx.state.isCredentialRefused = true;
      return next();
    }
    if (cookie && !SAFE_METHODS.has(ctx.method) && !isJsonType(ctx.get('content-type'))) {
      throw new ApiError(
        'unsupported_media_type',
        'A request signed in by the session cookie that changes something must send Content-Type: application/json.',
      );
    }
    ctx.state.principal = principal;
    ctx.state.credential = header ? 'bearer' : 'cookie';
    return next();
  };

/** Requires a caller that authenticateMiddleware admitted. */
export const requireAuth =
  (_auth?: Authenticator): Koa.Middleware =>
  async (ctx, next) => {
    if (ctx.state.principal) return next();
    if (ctx.state.isCredentialRefused)
      throw new ApiError('unauthorized', 'The token is invalid, expired or revoked, the session has ended, or its user is disabled.');
    throw new ApiError('unauthorized', 'Sign in first: send "Authorization: Bearer <token>".');
  };

/** The signed-in caller (after requireAuth). */
export const principalOf = (ctx: Koa.Context): Principal => {
  const p = ctx.state.principal;
  if (!p) throw new ApiError('unauthorized', 'Sign in first.');
  return p;
};

/** Where the request came from (after clientMiddleware). */
export const clientInfoOf = (ctx: Koa.Context): ClientInfo => ctx.state.client ?? { ip: ctx.ip, isHttps: ctx.secure, userAgent: ctx.get('user-agent') || null };

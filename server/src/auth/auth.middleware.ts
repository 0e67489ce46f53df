import type Koa from 'koa';
import { ApiError } from '@jobflow/shared';
import type { Authenticator, Principal } from './authenticate';

declare module 'koa' {
  interface DefaultState {
    principal?: Principal;
    body?: unknown;
  }
}

const bearer = (header: string | undefined) => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
};

/** Requires a valid token of either kind; puts the caller in `ctx.state.principal`. */
export const requireAuth =
  (auth: Authenticator): Koa.Middleware =>
  async (ctx, next) => {
    const token = bearer(ctx.get('authorization'));
    if (!token) throw new ApiError('unauthorized', 'Sign in first: send "Authorization: Bearer <token>".');
    const principal = await auth.authenticate(token);
    if (!principal) throw new ApiError('unauthorized', 'The token is invalid, expired or revoked, or its user is disabled.');
    ctx.state.principal = principal;
    return next();
  };

/** The signed-in caller (after requireAuth). */
export const principalOf = (ctx: Koa.Context): Principal => {
  const p = ctx.state.principal;
  if (!p) throw new ApiError('unauthorized', 'Sign in first.');
  return p;
};

export const requireAdmin: Koa.Middleware = async (ctx, next) => {
  if (principalOf(ctx).role !== 'admin') throw new ApiError('forbidden', 'Only admins may do this.');
  return next();
};

import Router from '@koa/router';
import { ApiError, LoginBody, parseOrThrow, type LoginResponse } from '@jobflow/shared';
import type { AppDeps } from '../deps';
import { toUserDto } from '../users/user.dto';
import type { Authenticator } from './authenticate';
import { principalOf, requireAuth } from './auth.middleware';
import { createLoginLimiter } from './login-limiter';
import { decoyHash, verifyPassword } from './passwords';

export function authRoutes(deps: AppDeps, auth: Authenticator): Router {
  const { db, redis, config, log } = deps;
  const limiter = createLoginLimiter(redis, config.redisPrefix, config.loginMaxAttempts, config.loginWindowSec);
  const router = new Router();

  router.post('/api/auth/login', async (ctx) => {
    const body = parseOrThrow(LoginBody, ctx.state.body ?? {});
    await limiter.check(body.email, ctx.ip);
    const rows = await db.sql<{ id: string; email: string; name: string; role: 'admin' | 'user'; disabled: boolean; created_at: Date; password_hash: string }>(
      `select id, email, name, role, disabled, created_at, password_hash from users where lower(email) = lower(?)`,
      [body.email],
    );
    const user = rows[0];
    const ok = await verifyPassword(user?.password_hash ?? (await decoyHash()), body.password);
    if (!user || !ok || user.disabled) {
      await limiter.failed(body.email, ctx.ip);
      log.info('sign-in refused', { email: body.email, ip: ctx.ip, reason: !user ? 'unknown email' : !ok ? 'wrong password' : 'disabled user' });
      throw new ApiError('invalid_credentials', 'The email or password is wrong.');
    }
    await limiter.succeeded(body.email);
    const { token, expiresAt } = await auth.sessions.sign(user.id);
    const response: LoginResponse = {
      token,
      expiresAt: expiresAt.toISOString(),
      user: toUserDto({ ...user, createdAt: user.created_at }),
    };
    ctx.body = response;
  });

  router.get('/api/auth/me', requireAuth(auth), (ctx) => {
    const p = principalOf(ctx);
    ctx.body = { user: toUserDto({ ...p, disabled: false }) };
  });

  return router;
}

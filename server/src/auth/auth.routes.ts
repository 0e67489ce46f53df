import { ApiError, normalizeEmail, type CookieLoginResponse, type LoginResponse } from '@jobflow/shared';
import type { AppDeps } from '../deps';
import type { AuditLog } from '../audit/audit.store';
import type { UsersService } from '../users/users.service';
import { toUserDto } from '../users/user.dto';
import { userQueries } from '../users/users.queries';
import type { RouteHandlers } from '../http/api-router';
import type { Authenticator } from './authenticate';
import { clientInfoOf, principalOf } from './auth.middleware';
import { createLoginLimiter } from './login-limiter';
import { decoyHash, verifyPassword } from './passwords';
import { clearSessionCookie, setSessionCookie } from './session-cookie';

export function authHandlers(deps: AppDeps, auth: Authenticator, users: UsersService, audit: AuditLog): Pick<RouteHandlers, 'login' | 'logout' | 'me'> {
  const { db, redis, config, log } = deps;
  const limiter = createLoginLimiter(redis, config.redisPrefix, config.loginMaxAttempts, config.loginWindowSec);
  return {
    login: async (ctx, { body }) => {
      const client = clientInfoOf(ctx);
      const email = normalizeEmail(body.email);
      await limiter.attempt(email, client.ip);
      const user = await userQueries.forSignIn(db.sql, email);
      const ok = await verifyPassword(user?.password_hash ?? (await decoyHash()), body.password);
      if (!user || !ok || user.disabled) {
        await audit.record({
          actor: { userId: user?.id ?? null, tokenId: null, email: user?.email ?? null },
          action: 'session.sign_in_failed',
          target: { type: 'session', id: null },
          changes: { email, reason: !user ? 'unknown email' : !ok ? 'wrong password' : 'user disabled' },
          ip: client.ip,
          userAgent: client.userAgent,
        });
        log.info('sign-in refused', { email, ip: client.ip, reason: !user ? 'unknown email' : !ok ? 'wrong password' : 'disabled user' });
        throw new ApiError('invalid_credentials', 'The email or password is wrong.');
      }
      await limiter.succeeded(email, client.ip);
      const { token, expiresAt } = await auth.sessions.sign(user.id, user.session_generation);
      await audit.record({
        actor: { userId: user.id, tokenId: null, email: user.email },
        action: 'session.signed_in',
        target: { type: 'session', id: null },
        changes: { session: body.session ?? 'token' },
        ip: client.ip,
        userAgent: client.userAgent,
      });
      const answer: CookieLoginResponse = { expiresAt: expiresAt.toISOString(), user: toUserDto({ ...user, createdAt: user.created_at }) };
      if (body.session === 'cookie') {
        setSessionCookie(ctx, token, expiresAt, client.isHttps);
        return answer;
      }
      const response: LoginResponse = { token, ...answer };
      return response;
    },

    /** Ends every session of the caller, on every server and socket; API tokens stay (revoke them on their own). */
    logout: async (ctx) => {
      const me = principalOf(ctx);
      await users.endSessions(me.id);
      deps.disconnect({ sessionsOf: me.id });
      clearSessionCookie(ctx, clientInfoOf(ctx).isHttps);
      await audit.recordRequest(ctx, 'session.signed_out', { type: 'session', id: null });
    },

    me: (ctx) => ({ user: toUserDto({ ...principalOf(ctx), disabled: false }) }),
  };
}

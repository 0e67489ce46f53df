import { ApiError, type CreatedTokenDto, type TokenDto } from '@jobflow/shared';
import { iso } from '@jobflow/core/db';
import type { AppDeps } from '../deps';
import type { AuditLog } from '../audit/audit.store';
import { authorize } from '../auth/access-policy';
import { principalOf } from '../auth/auth.middleware';
import { hashApiToken, newApiTokenSecret } from '../auth/tokens';
import type { RouteHandlers } from '../http/api-router';
import { cursor, toPage } from '../http/query';
import { tokenQueries, type TokenRow } from './tokens.queries';

const toTokenDto = (r: TokenRow): TokenDto => ({
  id: r.id,
  name: r.name,
  userId: r.user_id,
  createdAt: iso(r.created_at)!,
  expiresAt: iso(r.expires_at),
  lastUsedAt: iso(r.last_used_at),
});

/** Personal API tokens: shown once at creation, stored only as a SHA-256 hash. */
export function tokensHandlers(deps: AppDeps, audit: AuditLog): Pick<RouteHandlers, 'createToken' | 'listTokens' | 'revokeToken'> {
  const { db } = deps;
  return {
    createToken: async (ctx, { body }) => {
      const me = principalOf(ctx);
      if (body.expiresAt && Date.parse(body.expiresAt) <= Date.now()) {
        throw new ApiError('validation_failed', 'The expiry must be in the future.', [{ path: '/expiresAt', message: 'must be in the future' }]);
      }
      // A token may only mint tokens that expire no later than itself, so a short-lived or leaked token cannot outlive its own expiry.
      if (me.tokenId && me.expiresAt && (!body.expiresAt || Date.parse(body.expiresAt) > me.expiresAt.getTime())) {
        throw new ApiError('validation_failed', 'A token created with an API token must expire no later than that token.', [
          { path: '/expiresAt', message: `must be set and no later than ${me.expiresAt.toISOString()}` },
        ]);
      }
      const secret = newApiTokenSecret();
      const row = await tokenQueries.create(db.sql, {
        userId: me.id,
        name: body.name,
        tokenHash: hashApiToken(secret),
        expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
      });
      const created: CreatedTokenDto = { ...toTokenDto(row), token: secret };
      await audit.recordRequest(ctx, 'token.created', { type: 'token', id: created.id }, { name: created.name, expiresAt: created.expiresAt });
      return created;
    },

    /** The caller's tokens; an admin may pass `?userId=` (or `?userId=all`) to see others'. */
    listTokens: async (ctx, { query }) => {
      const me = principalOf(ctx);
      const asked = query.userId;
      if (asked !== undefined && asked !== me.id) authorize(me, 'tokens.listOthers');
      const who = asked ?? me.id;
      const rows = await tokenQueries.list(db.sql, who === 'all' ? null : who, query.limit + 1, cursor.decode(query.cursor));
      return toPage(rows, query.limit, toTokenDto, (r) => [r.created_at, r.id]);
    },

    revokeToken: async (ctx, { params: { id } }) => {
      const me = principalOf(ctx);
      const token = await tokenQueries.get(db.sql, id);
      if (!token) throw new ApiError('not_found', 'No such token.');
      authorize(me, 'tokens.revoke', { tokenOwnerId: token.user_id });
      await tokenQueries.remove(db.sql, id);
      deps.disconnect({ tokenId: id });
      await audit.recordRequest(ctx, 'token.revoked', { type: 'token', id }, { name: token.name, userId: token.user_id });
    },
  };
}

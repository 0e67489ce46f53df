import Router from '@koa/router';
import { ApiError, CreateTokenBody, parseOrThrow, type CreatedTokenDto, type TokenDto } from '@jobflow/shared';
import { isUuid } from '@jobflow/core/db';
import type { AppDeps } from '../deps';
import type { AuditLog } from '../audit/audit.store';
import { allow, authorize } from '../auth/access-policy';
import { principalOf } from '../auth/auth.middleware';
import { hashApiToken, newApiTokenSecret } from '../auth/tokens';
import { pageQuery, queryString, toPage } from '../http/query';
import { iso } from '@jobflow/core/db';

interface TokenRow {
  id: string;
  user_id: string;
  name: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

const toTokenDto = (r: TokenRow): TokenDto => ({
  id: r.id,
  name: r.name,
  userId: r.user_id,
  createdAt: iso(r.created_at)!,
  expiresAt: iso(r.expires_at),
  lastUsedAt: iso(r.last_used_at),
});

/** Personal API tokens: shown once at creation, stored only as a SHA-256 hash. */
export function tokensRoutes(deps: AppDeps, audit: AuditLog): Router {
  const { db } = deps;
  const router = new Router({ prefix: '/api/tokens' });

  router.post('/', allow('tokens.create'), async (ctx) => {
    const me = principalOf(ctx);
    const body = parseOrThrow(CreateTokenBody, ctx.state.body ?? {});
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
    const rows = await db.sql<TokenRow>(`insert into api_tokens (user_id, name, token_hash, expires_at) values (?, ?, ?, ?) returning *`, [
      me.id,
      body.name,
      hashApiToken(secret),
      body.expiresAt ? new Date(body.expiresAt) : null,
    ]);
    const created: CreatedTokenDto = { ...toTokenDto(rows[0]!), token: secret };
    await audit.recordRequest(ctx, 'token.created', { type: 'token', id: created.id }, { name: created.name, expiresAt: created.expiresAt });
    ctx.status = 201;
    ctx.body = created;
  });

  /** The caller's tokens; an admin may pass `?userId=` (or `?userId=all`) to see others'. */
  router.get('/', allow('tokens.listOwn'), async (ctx) => {
    const me = principalOf(ctx);
    const { limit, after } = pageQuery(ctx);
    const asked = queryString(ctx, 'userId');
    if (asked !== undefined && asked !== me.id) authorize(me, 'tokens.listOthers');
    if (asked !== undefined && asked !== 'all' && !isUuid(asked)) throw new ApiError('bad_request', 'Query parameter "userId" must be a user id or "all".');
    const who = asked ?? me.id;
    const conditions = [who === 'all' ? 'true' : 'user_id = ?'];
    const params: unknown[] = who === 'all' ? [] : [who];
    if (after) {
      conditions.push('(created_at, id) < (?, ?)');
      params.push(after.at, after.id);
    }
    const rows = await db.sql<TokenRow>(
      `select id, user_id, name, created_at, expires_at, last_used_at from api_tokens where ${conditions.join(' and ')} order by created_at desc, id desc limit ?`,
      [...params, limit + 1],
    );
    ctx.body = toPage(rows, limit, toTokenDto, (r) => [r.created_at, r.id]);
  });

  router.delete('/:id', async (ctx) => {
    const me = principalOf(ctx);
    const id = ctx.params.id!;
    const rows = isUuid(id) ? await db.sql<TokenRow>(`select id, user_id, name from api_tokens where id = ?`, [id]) : [];
    const token = rows[0];
    if (!token) throw new ApiError('not_found', 'No such token.');
    authorize(me, 'tokens.revoke', { tokenOwnerId: token.user_id });
    await db.sql(`delete from api_tokens where id = ?`, [id]);
    deps.disconnect({ tokenId: id });
    await audit.recordRequest(ctx, 'token.revoked', { type: 'token', id }, { name: token.name, userId: token.user_id });
    ctx.status = 204;
  });

  return router;
}

import Router from '@koa/router';
import { ApiError, CreateUserBody, UpdateUserBody, parseOrThrow, type AuditAction } from '@jobflow/shared';
import { isUuid } from '@jobflow/core/db';
import type { AppDeps } from '../deps';
import type { AuditLog } from '../audit/audit.store';
import { allow } from '../auth/access-policy';
import { pageQuery, queryString, toPage } from '../http/query';
import { toUserDto } from './user.dto';
import type { UsersService } from './users.service';
import { userQueries } from './users.queries';

export function usersRoutes(deps: AppDeps, users: UsersService, audit: AuditLog): Router {
  const router = new Router({ prefix: '/api/users' });

  router.get('/', allow('users.list'), async (ctx) => {
    const { limit, after } = pageQuery(ctx);
    ctx.body = toPage(await users.list(limit + 1, after), limit, toUserDto, (u) => [u.createdAt, u.id]);
  });

  router.get('/:id', allow('users.read'), async (ctx) => {
    ctx.body = toUserDto(await users.findOrThrow(ctx.params.id!));
  });

  router.post('/', allow('users.create'), async (ctx) => {
    const user = await users.create(parseOrThrow(CreateUserBody, ctx.state.body ?? {}));
    await audit.recordRequest(ctx, 'user.created', { type: 'user', id: user.id }, { email: user.email, role: user.role, name: user.name });
    ctx.status = 201;
    ctx.body = toUserDto(user);
  });

  router.patch('/:id', allow('users.update'), async (ctx) => {
    const body = parseOrThrow(UpdateUserBody, ctx.state.body ?? {});
    const { user, before, sessionsEnded, revokedTokenIds } = await users.update(ctx.params.id!, body);
    if (user.disabled) deps.disconnect({ userId: user.id });
    else if (sessionsEnded) deps.disconnect({ sessionsOf: user.id });
    for (const tokenId of revokedTokenIds) deps.disconnect({ tokenId });
    const changes: Record<string, unknown> = {};
    for (const field of ['name', 'role', 'disabled'] as const) {
      if (before[field] !== user[field]) changes[field] = { before: before[field], after: user[field] };
    }
    if (body.password !== undefined) changes.password = { before: '****', after: '****' };
    if (revokedTokenIds.length) changes.revokedTokens = revokedTokenIds;
    if (sessionsEnded) changes.sessionsEnded = true;
    const action: AuditAction = before.disabled !== user.disabled ? (user.disabled ? 'user.disabled' : 'user.enabled') : 'user.changed';
    await audit.recordRequest(ctx, action, { type: 'user', id: user.id }, changes);
    ctx.body = toUserDto(user);
  });

  router.delete('/:id', allow('users.delete'), async (ctx) => {
    const user = await users.remove(ctx.params.id!);
    deps.disconnect({ userId: user.id });
    await audit.recordRequest(ctx, 'user.deleted', { type: 'user', id: user.id }, { email: user.email, role: user.role });
    ctx.status = 204;
  });

  return router;
}

const MAX_PEOPLE = 1000;

/**
 * `GET /api/people?ids=a,b`: the display names of users, for every signed-in
 * user (who owns a job, who started a run); without `ids`, everyone enabled,
 * by name (a team's list to filter runs by who started them).
 */
export function peopleRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/people' });
  router.get('/', allow('people.list'), async (ctx) => {
    const raw = queryString(ctx, 'ids');
    const ids = raw === undefined ? null : raw.split(',').filter(Boolean);
    if (ids && (ids.length > 200 || ids.some((id) => !isUuid(id))))
      throw new ApiError('bad_request', 'Query parameter "ids" must be up to 200 user ids, comma-separated.');
    const rows = ids ? (ids.length ? await userQueries.namesByIds(deps.db.sql, ids) : []) : await userQueries.enabledNames(deps.db.sql, MAX_PEOPLE);
    ctx.body = { items: rows.map((u) => ({ id: u.id, name: u.name || u.email })) };
  });
  return router;
}

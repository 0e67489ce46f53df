import Router from '@koa/router';
import { ApiError, CreateUserBody, UpdateUserBody, parseOrThrow } from '@jobflow/shared';
import { isUuid } from '@jobflow/core/db';
import type { AppDeps } from '../deps';
import type { Authenticator } from '../auth/authenticate';
import { requireAdmin, requireAuth } from '../auth/auth.middleware';
import { pageQuery, queryString, toPage } from '../http/query';
import { toUserDto } from './user.dto';
import type { UsersService } from './users.service';
import { userQueries } from './users.queries';

export function usersRoutes(deps: AppDeps, auth: Authenticator, users: UsersService): Router {
  const router = new Router({ prefix: '/api/users' });
  router.use(requireAuth(auth), requireAdmin);

  router.get('/', async (ctx) => {
    const { limit, after } = pageQuery(ctx);
    ctx.body = toPage(await users.list(limit + 1, after), limit, toUserDto, (u) => [u.createdAt, u.id]);
  });

  router.get('/:id', async (ctx) => {
    ctx.body = toUserDto(await users.findOrThrow(ctx.params.id!));
  });

  router.post('/', async (ctx) => {
    const user = await users.create(parseOrThrow(CreateUserBody, ctx.state.body ?? {}));
    ctx.status = 201;
    ctx.body = toUserDto(user);
  });

  router.patch('/:id', async (ctx) => {
    const user = await users.update(ctx.params.id!, parseOrThrow(UpdateUserBody, ctx.state.body ?? {}));
    if (user.disabled) deps.disconnect({ userId: user.id });
    ctx.body = toUserDto(user);
  });

  router.delete('/:id', async (ctx) => {
    await users.remove(ctx.params.id!);
    deps.disconnect({ userId: ctx.params.id! });
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
export function peopleRoutes(deps: AppDeps, auth: Authenticator): Router {
  const router = new Router({ prefix: '/api/people' });
  router.use(requireAuth(auth));
  router.get('/', async (ctx) => {
    const raw = queryString(ctx, 'ids');
    const ids = raw === undefined ? null : raw.split(',').filter(Boolean);
    if (ids && (ids.length > 200 || ids.some((id) => !isUuid(id))))
      throw new ApiError('bad_request', 'Query parameter "ids" must be up to 200 user ids, comma-separated.');
    const rows = ids ? (ids.length ? await userQueries.namesByIds(deps.db.sql, ids) : []) : await userQueries.enabledNames(deps.db.sql, MAX_PEOPLE);
    ctx.body = { items: rows.map((u) => ({ id: u.id, name: u.name || u.email })) };
  });
  return router;
}

import Router from '@koa/router';
import { CreateUserBody, UpdateUserBody, parseOrThrow } from '@jobflow/shared';
import type { AppDeps } from '../deps';
import type { Authenticator } from '../auth/authenticate';
import { requireAdmin, requireAuth } from '../auth/auth.middleware';
import { pageQuery, toPage } from '../http/query';
import { toUserDto } from './user.dto';
import type { UsersService } from './users.service';

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

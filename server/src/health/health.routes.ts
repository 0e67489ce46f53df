import Router from '@koa/router';
import { checkReadiness } from '@jobflow/core/platform';
import type { AppDeps } from '../deps';

/** /healthz: the process lives. /readyz: PostgreSQL and Redis both answer, and the server is not shutting down. */
export function healthRoutes({ db, redis }: Pick<AppDeps, 'db' | 'redis'>, isDraining: () => boolean): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const { status, body } = await checkReadiness({
      postgres: () => db.ping(),
      redis: () => redis.ping(),
      drainingAs: isDraining() ? 'the server is shutting down' : null,
    });
    ctx.status = status;
    ctx.body = body;
  });
  return router;
}

import Router from '@koa/router';
import type { AppDeps } from '../deps';

const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

/** /healthz: the process lives. /readyz: PostgreSQL and Redis both answer. */
export function healthRoutes({ db, redis }: Pick<AppDeps, 'db' | 'redis'>): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const [postgres, redisUp] = await Promise.all([
      within(1500, db.ping()).then(
        () => true,
        () => false,
      ),
      within(1500, redis.ping()).then(
        () => true,
        () => false,
      ),
    ]);
    const services = { postgres: postgres ? 'up' : 'down', redis: redisUp ? 'up' : 'down' };
    const down = Object.entries(services)
      .filter(([, state]) => state === 'down')
      .map(([name]) => name);
    ctx.status = down.length ? 503 : 200;
    ctx.body = down.length
      ? { error: { code: 'unavailable', message: `Not ready: ${down.join(' and ')} unreachable.` }, ...services }
      : { status: 'ready', ...services };
  });
  return router;
}

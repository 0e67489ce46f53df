import Router from '@koa/router';
import { ApiError } from '@jobflow/shared';
import { isScrapeAuthorized } from '@jobflow/core/platform';
import type { AppDeps } from '../deps';

/** GET /metrics: Prometheus text; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`. */
export function metricsRoutes({ metrics, config }: Pick<AppDeps, 'metrics' | 'config'>): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    if (!isScrapeAuthorized(ctx.get('authorization') || undefined, config.metricsToken)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new ApiError('unauthorized', 'The metrics need Authorization: Bearer <METRICS_TOKEN>.');
    }
    ctx.type = metrics.contentType;
    ctx.body = await metrics.render();
  });
  return router;
}

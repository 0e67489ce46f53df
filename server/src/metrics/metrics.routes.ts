import { ApiError } from '@jobflow/shared';
import { isScrapeAuthorized } from '@jobflow/core/platform';
import type { AppDeps } from '../deps';
import type { RouteHandlers } from '../http/api-router';

/** GET /metrics: Prometheus text; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`. */
export function metricsHandlers({ metrics, config }: Pick<AppDeps, 'metrics' | 'config'>): Pick<RouteHandlers, 'metrics'> {
  return {
    metrics: async (ctx) => {
      if (!isScrapeAuthorized(ctx.get('authorization') || undefined, config.metricsToken)) {
        ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
        throw new ApiError('unauthorized', 'The metrics need Authorization: Bearer <METRICS_TOKEN>.');
      }
      ctx.type = metrics.contentType;
      return metrics.render();
    },
  };
}

import type Koa from 'koa';
import type { Metrics } from '@jobflow/core/platform';
import { isServicePath } from './paths';

/** The label of a request's route: the router's pattern, `(ui)` for the UI's files and pages, `(unmatched)` for no route. */
export function routeOf(ctx: Koa.Context): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  return isServicePath(ctx.path) ? '(unmatched)' : '(ui)';
}

/** Counts every answered request and times it to the end of its response, by method, route pattern and status. */
export function httpMetricsMiddleware(metrics: Metrics): Koa.Middleware {
  return async (ctx, next) => {
    const startedAt = performance.now();
    ctx.res.once('close', () => metrics.httpAnswered(ctx.method, routeOf(ctx), ctx.status, (performance.now() - startedAt) / 1000));
    await next();
  };
}

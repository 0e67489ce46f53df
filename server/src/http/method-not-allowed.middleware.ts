import type Router from '@koa/router';
import type Koa from 'koa';
import { ApiError } from '@jobflow/shared';

/**
 * A path the routers know, asked with a method none of them answers: 405 with
 * `Allow` naming the methods that path takes (OPTIONS: 204 with the same
 * `Allow`). Runs after the routers, so only unanswered requests reach it.
 */
export function methodNotAllowedMiddleware(routers: Router[]): Koa.Middleware {
  const layers = routers.flatMap((router) => router.stack);
  return async (ctx, next) => {
    const allowed = new Set(layers.filter((layer) => layer.methods.length > 0 && layer.match(ctx.path)).flatMap((layer) => layer.methods));
    if (allowed.size === 0 || allowed.has(ctx.method)) return next();
    const allow = [...allowed, 'OPTIONS'].join(', ');
    ctx.set('Allow', allow);
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    throw new ApiError('method_not_allowed', `${ctx.path} does not take ${ctx.method}; it takes ${allow}.`);
  };
}

import { checkReadiness } from '@jobflow/core/platform';
import type { AppDeps } from '../deps';
import type { RouteHandlers } from '../http/api-router';

/** /healthz: the process lives. /readyz: PostgreSQL and Redis both answer, and the server is not shutting down. */
export function healthHandlers({ db, redis }: Pick<AppDeps, 'db' | 'redis'>, isDraining: () => boolean): Pick<RouteHandlers, 'healthz' | 'readyz'> {
  return {
    healthz: () => ({ status: 'ok' }),
    readyz: async (ctx) => {
      const { status, body } = await checkReadiness({
        postgres: () => db.ping(),
        redis: () => redis.ping(),
        drainingAs: isDraining() ? 'the server is shutting down' : null,
      });
      ctx.status = status;
      return body;
    },
  };
}

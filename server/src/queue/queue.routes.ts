import Router from '@koa/router';
import type { RunEngine } from '@jobflow/core/runs';
import { allow } from '../auth/access-policy';

/** Jobs listed per queue answer at most (those whose oldest waiting run has waited longest). */
const MAX_JOBS = 50;

/** `GET /api/queue` (signed in): runs waiting in the queue now, in all and per job, with the oldest one's queue time. */
export function queueRoutes(runs: RunEngine): Router {
  const router = new Router({ prefix: '/api/queue' });
  router.get('/', allow('runs.list'), async (ctx) => {
    ctx.body = await runs.queueDepth(MAX_JOBS);
  });
  return router;
}

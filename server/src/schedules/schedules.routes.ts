import Router from '@koa/router';
import { ApiError, type ScheduleNextDto } from '@jobflow/shared';
import type { Db } from '@jobflow/core/db';
import { fireStore, localIso, nextDueTimes, toScheduleFireDto } from '@jobflow/core/schedules';
import type { Authenticator } from '../auth/authenticate';
import { principalOf, requireAuth } from '../auth/auth.middleware';
import { pageQuery, queryInt, toPage } from '../http/query';
import type { JobsService } from '../jobs/jobs.service';

/**
 * A job's schedule: its due-time history, its next due times, pause and
 * resume. The schedule itself is part of the job (`PATCH /api/jobs/:id`).
 */
export function schedulesRoutes(auth: Authenticator, jobs: JobsService, db: Db): Router {
  const router = new Router({ prefix: '/api/jobs/:id/schedule' });
  router.use(requireAuth(auth));

  router.get('/fires', async (ctx) => {
    const job = await jobs.findOrThrow(ctx.params.id!);
    const { limit, after } = pageQuery(ctx);
    const rows = await fireStore.list(db.sql, job.id, limit + 1, after);
    ctx.body = toPage(rows, limit, toScheduleFireDto, (f) => [f.due_at, f.id]);
  });

  router.get('/next', async (ctx) => {
    const job = await jobs.findOrThrow(ctx.params.id!);
    const count = queryInt(ctx, 'count', 5, 1, 100);
    const timezone = job.scheduleTimezone;
    const body: ScheduleNextDto = { timezone, paused: job.schedulePaused, items: [] };
    if (job.scheduleCron && timezone && !job.schedulePaused) {
      body.items = nextDueTimes(job.scheduleCron, timezone, new Date(), count).map((at) => ({ at: at.toISOString(), local: localIso(at, timezone) }));
    }
    ctx.body = body;
  });

  for (const [action, isPaused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    router.post(`/${action}`, async (ctx) => {
      const job = await jobs.findOrThrow(ctx.params.id!);
      if (!job.scheduleCron) throw new ApiError('conflict', 'The job has no schedule.');
      ctx.body = await jobs.update(job.id, { schedulePaused: isPaused }, principalOf(ctx));
    });
  }

  return router;
}

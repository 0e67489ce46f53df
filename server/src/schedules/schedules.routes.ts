import Router from '@koa/router';
import { ApiError, type ScheduleNextDto } from '@jobflow/shared';
import type { Db } from '@jobflow/core/db';
import { fireStore, localIso, nextDueTimes, toScheduleFireDto } from '@jobflow/core/schedules';
import { allow } from '../auth/access-policy';
import { principalOf } from '../auth/auth.middleware';
import { pageQuery, queryInt, toPage } from '../http/query';
import type { AuditLog } from '../audit/audit.store';
import { checkJobAccess, type JobsService } from '../jobs/jobs.service';

/**
 * A job's schedule: its due-time history, its next due times, pause and
 * resume. The schedule itself is part of the job (`PATCH /api/jobs/:id`).
 */
export function schedulesRoutes(jobs: JobsService, db: Db, audit: AuditLog): Router {
  const router = new Router({ prefix: '/api/jobs/:id/schedule' });

  router.get('/fires', allow('schedules.read'), async (ctx) => {
    const job = await jobs.findOrThrow(ctx.params.id!);
    const { limit, after } = pageQuery(ctx);
    const rows = await fireStore.list(db.sql, job.id, limit + 1, after);
    ctx.body = toPage(rows, limit, toScheduleFireDto, (f) => [f.due_at, f.id]);
  });

  router.get('/next', allow('schedules.read'), async (ctx) => {
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
      const who = principalOf(ctx);
      const job = await jobs.findOrThrow(ctx.params.id!);
      checkJobAccess(job, who, 'schedules.pause');
      if (!job.scheduleCron) throw new ApiError('conflict', 'The job has no schedule.');
      const { job: changed, changes } = await jobs.update(job.id, { schedulePaused: isPaused }, who, 'schedules.pause');
      if (Object.keys(changes).length) await audit.recordRequest(ctx, 'job.changed', { type: 'job', id: job.id }, changes);
      ctx.body = changed;
    });
  }

  return router;
}

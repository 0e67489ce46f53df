import type Koa from 'koa';
import { ApiError, type ScheduleNextDto } from '@jobflow/shared';
import type { Db } from '@jobflow/core/db';
import { fireStore, localIso, nextDueTimes, toScheduleFireDto, upcomingDueTimes } from '@jobflow/core/schedules';
import { principalOf } from '../auth/auth.middleware';
import type { RouteHandlers } from '../http/api-router';
import { cursor, toPage } from '../http/query';
import type { AuditLog } from '../audit/audit.store';
import { checkJobAccess, type JobsService } from '../jobs/jobs.service';

type ScheduleRoutes = 'listScheduleFires' | 'nextScheduleTimes' | 'pauseSchedule' | 'resumeSchedule';

/**
 * A job's schedule: its due-time history, its next due times, pause and
 * resume. The schedule itself is part of the job (`PATCH /api/jobs/:id`).
 */
export function schedulesHandlers(jobs: JobsService, db: Db, audit: AuditLog): Pick<RouteHandlers, ScheduleRoutes> {
  const setPaused = async (ctx: Koa.Context, jobId: string, isPaused: boolean, ifMatch: number[] | null) => {
    const who = principalOf(ctx);
    const job = await jobs.findOrThrow(jobId);
    checkJobAccess(job, who, 'schedules.pause');
    if (!job.scheduleCron) throw new ApiError('conflict', 'The job has no schedule.');
    const { job: changed, changes } = await jobs.update(job.id, { schedulePaused: isPaused }, who, 'schedules.pause', ifMatch);
    if (Object.keys(changes).length) await audit.recordRequest(ctx, 'job.changed', { type: 'job', id: job.id }, changes);
    return changed;
  };

  return {
    listScheduleFires: async (_ctx, { params, query }) => {
      const job = await jobs.findOrThrow(params.id);
      const rows = await fireStore.list(db.sql, job.id, query.limit + 1, cursor.decode(query.cursor));
      return toPage(rows, query.limit, toScheduleFireDto, (f) => [f.due_at, f.id]);
    },

    nextScheduleTimes: async (_ctx, { params, query }) => {
      const job = await jobs.findOrThrow(params.id);
      const timezone = job.scheduleTimezone;
      const body: ScheduleNextDto = { timezone, paused: job.schedulePaused, items: [] };
      if (job.scheduleCron && timezone && !job.schedulePaused) {
        body.items = nextDueTimes(job.scheduleCron, timezone, new Date(), query.count).map((at) => ({ at: at.toISOString(), local: localIso(at, timezone) }));
      }
      return body;
    },

    pauseSchedule: (ctx, { params, ifMatch }) => setPaused(ctx, params.id, true, ifMatch),
    resumeSchedule: (ctx, { params, ifMatch }) => setPaused(ctx, params.id, false, ifMatch),
  };
}

/** `GET /api/schedules/upcoming`: the next due times across every enabled job whose schedule is not paused, soonest first. */
export function upcomingHandlers(db: Db): Pick<RouteHandlers, 'upcomingDueTimes'> {
  return { upcomingDueTimes: async (_ctx, { query }) => upcomingDueTimes(db.sql, new Date(), query.limit) };
}

import { ApiError, DEFAULT_SCHEDULE_POLICY, type ScheduleDto, type SchedulePolicyDto } from '@jobflow/shared';
import type { JobEntity } from '@jobflow/core/db';

type ScheduleFields = Pick<JobEntity, 'scheduleOverlap' | 'scheduleMissed' | 'schedulePaused' | 'scheduleSince' | 'maxConcurrentRuns'>;

/**
 * The schedule fields of a job after a create (`current` null) or update:
 * - due times count from `scheduleSince`, reset when the schedule is set,
 *   changed or resumed (due times before it, or while paused, are not recorded);
 * - overlap `queue` means one run at a time: `maxConcurrentRuns` null becomes
 *   1, any other number is a 422.
 */
export function scheduleSettings(
  body: { schedule?: ScheduleDto | null; schedulePolicy?: Partial<SchedulePolicyDto>; schedulePaused?: boolean; maxConcurrentRuns?: number | null },
  current: JobEntity | null,
  now = new Date(),
): ScheduleFields {
  const overlap = body.schedulePolicy?.overlap ?? current?.scheduleOverlap ?? DEFAULT_SCHEDULE_POLICY.overlap;
  const missed = body.schedulePolicy?.missed ?? current?.scheduleMissed ?? DEFAULT_SCHEDULE_POLICY.missed;
  const paused = body.schedulePaused ?? current?.schedulePaused ?? false;
  const schedule =
    body.schedule !== undefined
      ? body.schedule
      : current?.scheduleCron && current.scheduleTimezone
        ? { cron: current.scheduleCron, timezone: current.scheduleTimezone }
        : null;

  let since: Date | null = null;
  if (schedule) {
    const isSame = current?.scheduleCron === schedule.cron && current?.scheduleTimezone === schedule.timezone && current.scheduleSince != null;
    const isResumed = current?.schedulePaused === true && !paused;
    since = isSame && !isResumed ? current!.scheduleSince : now;
  }

  let maxConcurrentRuns = body.maxConcurrentRuns !== undefined ? body.maxConcurrentRuns : (current?.maxConcurrentRuns ?? null);
  if (overlap === 'queue') {
    if (maxConcurrentRuns === null) maxConcurrentRuns = 1;
    if (maxConcurrentRuns !== 1) {
      throw new ApiError('validation_failed', 'A schedule that queues overlapping runs needs one run at a time.', [
        { path: '/maxConcurrentRuns', message: 'must be 1 (or null) when schedulePolicy.overlap is "queue"' },
      ]);
    }
  }
  return { scheduleOverlap: overlap, scheduleMissed: missed, schedulePaused: paused, scheduleSince: since, maxConcurrentRuns };
}

import type { Redis } from 'ioredis';
import type { LivePublisher } from '../live';

/** The Redis channel that tells schedulers a job was created, changed or deleted. */
export const scheduleChangedChannel = (prefix: string) => `${prefix}:schedule-changed`;

/**
 * A live publisher that also nudges every scheduler when a job changes, so a
 * new, edited, paused or resumed schedule takes effect at once rather than
 * after the schedulers' next look.
 */
export function withScheduleNudges(live: LivePublisher, redis: Redis, prefix: string): LivePublisher {
  const nudge = (jobId: string) => void redis.publish(scheduleChangedChannel(prefix), jobId).catch(() => {});
  return {
    ...live,
    jobUpdated(job) {
      live.jobUpdated(job);
      nudge(job.id);
    },
    jobDeleted(jobId) {
      live.jobDeleted(jobId);
      nudge(jobId);
    },
  };
}

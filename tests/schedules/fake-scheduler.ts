import { openCore } from '@jobflow/core';
import { createLogger, redisConnection } from '@jobflow/core/platform';
import { createScheduler, type Scheduler } from '@jobflow/core/schedules';
import type { Page, ScheduleFireDto } from '@jobflow/shared';
import type { Reply, Stack } from '../support/stack';
import { track, untrack } from '../support/leak-check';

export interface FakeScheduler {
  scheduler: Scheduler;
  /** Sets the scheduler's clock to `iso` and makes one pass. */
  at(iso: string | number): Promise<number | null>;
  close(): Promise<void>;
}

/**
 * A scheduler on an engine of its own (its own connections to the stack's
 * database and Redis), whose clock is whatever the test says it is.
 */
export async function fakeScheduler(stack: Stack, opts: { graceMs: number; startAt?: string }): Promise<FakeScheduler> {
  const log = createLogger('fake-scheduler', 'error');
  const core = await openCore({
    databaseUrl: stack.databaseUrl,
    dbPoolMax: 4,
    redisConnection: redisConnection(stack.env.REDIS_URL!),
    redisPrefix: stack.redisPrefix,
    backoff: { baseMs: 200, capMs: 1000 },
    cancelGraceMs: 4000,
    reconcile: { intervalMs: 1000, queuedGraceMs: 2000 },
    sweepLeaseMs: 3000,
    log,
  });
  let now = opts.startAt ? Date.parse(opts.startAt) : Date.now();
  const scheduler = createScheduler({
    db: core.db,
    runs: core.runs,
    log,
    clock: { now: () => now },
    options: { graceMs: opts.graceMs, maxSleepMs: 1000 },
  });
  const handle: FakeScheduler = {
    scheduler,
    at(t) {
      now = typeof t === 'number' ? t : Date.parse(t);
      return scheduler.tick();
    },
    async close() {
      await scheduler.stop();
      await core.close();
      untrack(handle);
    },
  };
  return track(handle, 'a fake-clock scheduler');
}

/** Every due time recorded for a job (all pages), oldest first. */
export async function allFires(stack: Stack, jobId: string): Promise<ScheduleFireDto[]> {
  const out: ScheduleFireDto[] = [];
  let cursor: string | null = null;
  do {
    const res: Reply<Page<ScheduleFireDto>> = await stack.request('GET', `/api/jobs/${jobId}/schedule/fires?limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
      token: stack.admin.token,
    });
    if (res.status !== 200) throw new Error(`fires: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out.reverse();
}

/** Sets when a job's due times start counting (as if its schedule had been set then). */
export const setScheduleSince = (stack: Stack, jobId: string, iso: string) => stack.sql(`update jobs set schedule_since = $1 where id = $2`, [iso, jobId]);

export const DISABLED_SCHEDULER = { scheduler: { isEnabled: false, graceMs: 30_000, maxSleepMs: 5000, historyDays: 30 } };

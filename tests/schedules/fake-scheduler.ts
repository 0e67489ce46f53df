import { createOrm, dbOf, type Db } from '@jobflow/core/db';
import { createLivePublisher } from '@jobflow/core/live';
import { createLogger, createRedis } from '@jobflow/core/platform';
import { createRunQueue } from '@jobflow/core/queue';
import { createRunBatches, createRunLifecycle } from '@jobflow/core/runs';
import { createScheduler, type Scheduler } from '@jobflow/core/schedules';
import type { Stack } from '../support/stack';
import { track, untrack } from '../support/leak-check';

export interface FakeScheduler {
  scheduler: Scheduler;
  db: Db;
  /** Sets the scheduler's clock to `iso` and makes one pass. */
  at(iso: string | number): Promise<number | null>;
  close(): Promise<void>;
}

/**
 * A scheduler on its own connections to the stack's database and Redis,
 * whose clock is whatever the test says it is.
 */
export async function fakeScheduler(stack: Stack, opts: { graceMs: number; startAt?: string }): Promise<FakeScheduler> {
  const orm = await createOrm({ databaseUrl: stack.databaseUrl, poolMax: 4 });
  const db = dbOf(orm);
  const redis = createRedis(stack.env.REDIS_URL!);
  const queue = createRunQueue({ redisUrl: stack.env.REDIS_URL!, prefix: stack.redisPrefix, role: 'producer' });
  const live = createLivePublisher(redis, stack.redisPrefix);
  const lifecycle = createRunLifecycle({ db, queue, live, batches: createRunBatches(db), backoff: { baseMs: 200, capMs: 1000 } });
  let now = opts.startAt ? Date.parse(opts.startAt) : Date.now();
  const scheduler = createScheduler({
    db,
    lifecycle,
    queue,
    log: createLogger('fake-scheduler', 'error'),
    clock: { now: () => now },
    options: { graceMs: opts.graceMs, maxSleepMs: 1000 },
  });
  const handle: FakeScheduler = {
    scheduler,
    db,
    at(t) {
      now = typeof t === 'number' ? t : Date.parse(t);
      return scheduler.tick();
    },
    async close() {
      await scheduler.stop();
      await queue.close(1000).catch(() => {});
      redis.disconnect();
      await orm.close(true);
      untrack(handle);
    },
  };
  return track(handle, 'a fake-clock scheduler');
}

/** Every due time recorded for a job (all pages), oldest first. */
export async function allFires(stack: Stack, jobId: string): Promise<{ dueAt: string; outcome: string; runId: string | null; runStatus: string | null }[]> {
  const out = [];
  let cursor: string | null = null;
  do {
    const res = await stack.request('GET', `/api/jobs/${jobId}/schedule/fires?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token: stack.admin.token });
    if (res.status !== 200) throw new Error(`fires: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out.reverse();
}

/** Sets when a job's due times start counting (as if its schedule had been set then). */
export const setScheduleSince = (db: Db, jobId: string, iso: string) => db.sql(`update jobs set schedule_since = ? where id = ?`, [iso, jobId]);

export const DISABLED_SCHEDULER = { scheduler: { isEnabled: false, graceMs: 30_000, maxSleepMs: 5000, historyDays: 30 } };

/** Polls an async check until it returns a truthy value. */
export async function eventually<T>(check: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

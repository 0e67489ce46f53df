import type { Db } from '../db';
import type { Logger } from '../platform';
import type { LivePublisher } from '../live';
import type { RunEngine } from '../runs';
import { fireStore, type PlannedFire, type ScheduledJob } from './schedule-fires.queries';
import { dueTimesBetween } from './schedule-times';

/** Where the scheduler gets the time: the system clock, or a fake one in tests. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface SchedulerOptions {
  /**
   * A due time first seen more than this long after it passed counts as
   * missed (it passed while no scheduler was up); one seen sooner is started
   * as usual, so a scheduler restarted at a due time still starts its run.
   */
  graceMs: number;
  /** The longest sleep between two looks at the schedules, whatever the next due time. */
  maxSleepMs: number;
  /** Due times recorded per job per pass; a long outage is worked through in batches. */
  batchSize?: number;
  /** Due-time history older than this many days is deleted (a job's latest due time stays); 0 keeps it all. */
  historyDays?: number;
}

/** How often a scheduler prunes the due-time history, and how many rows per statement. */
const PRUNE_INTERVAL_MS = 3600_000;
const PRUNE_BATCH = 10_000;

/**
 * Starts the runs of scheduled jobs. It can run in any number of processes at
 * once: each due time is claimed by inserting its `schedule_fires` row, which
 * only one of them can do. It sleeps until the next due time of any job (at
 * most `maxSleepMs`, or until `nudge()`: a job changed).
 */
export function createScheduler(deps: {
  db: Db;
  runs: RunEngine;
  log: Logger;
  options: SchedulerOptions;
  clock?: Clock;
  /** Tells the job's rooms when due times were recorded (skipped and missed ones start no run to announce them). */
  live?: LivePublisher;
  /** Whether this process should look at the schedules now (it holds the sweep lease); always, when not given. */
  isTurn?: () => boolean;
}) {
  const { db, runs, log, options } = deps;
  const clock = deps.clock ?? systemClock;
  const batchSize = options.batchSize ?? 1000;
  let stopped = true;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let isNudged = false;
  let lastPruneAt = -Infinity;

  /** Keeps `schedule_fires` to `historyDays` (an every-second schedule records 86,400 due times a day). */
  async function pruneHistory(): Promise<void> {
    const days = options.historyDays ?? 0;
    if (days <= 0 || clock.now() - lastPruneAt < PRUNE_INTERVAL_MS) return;
    lastPruneAt = clock.now();
    let total = 0;
    for (let n = PRUNE_BATCH; n === PRUNE_BATCH && !stopped; total += n) n = await fireStore.prune(db.sql, days, PRUNE_BATCH);
    if (total) log.info('pruned due-time history', { rows: total, olderThanDays: days });
  }

  /** Plans the due times of `job` that have come by `now`; returns the next time to look at it. */
  async function handleJob(job: ScheduledJob, now: number): Promise<number | null> {
    const cursor = job.lastDue && job.since ? (job.lastDue > job.since ? job.lastDue : job.since) : (job.lastDue ?? job.since);
    if (!cursor) return null;
    const { due, next } = dueTimesBetween(job.cron, job.timezone, cursor, new Date(now), batchSize);
    if (due.length === 0) return next?.getTime() ?? null;
    const isLastBatch = !next || next.getTime() > now;

    const plan: PlannedFire[] = due.map((dueAt) => ({ dueAt, outcome: now - dueAt.getTime() > options.graceMs ? 'missed' : 'started' }));
    if (job.missed === 'run-once' && isLastBatch) {
      const lastMissed = plan.findLastIndex((p) => p.outcome === 'missed');
      if (lastMissed >= 0) plan[lastMissed] = { dueAt: plan[lastMissed]!.dueAt, outcome: 'caught-up' };
    }

    const result = await runs.transaction((tx) => fireStore.record(tx, job, plan));
    if (result.kind === 'changed') return now; // look again with the job as it is now
    if (result.outcomes.length) {
      log.debug('schedule due times recorded', { jobId: job.id, outcomes: result.outcomes });
      deps.live?.scheduleRecorded(job.id, result.outcomes);
    }
    return next?.getTime() ?? null;
  }

  /**
   * One look at every active schedule at `clock.now()`: records what became of
   * each due time that has come. Returns when the next due time is (ms), or null.
   */
  async function tick(): Promise<number | null> {
    const now = clock.now();
    const jobs = await fireStore.scheduledJobs(db.sql);
    let nextAt: number | null = null;
    for (const job of jobs) {
      let next: number | null;
      try {
        next = await handleJob(job, now);
      } catch (e) {
        log.warn('could not handle a schedule; will try again', { jobId: job.id, error: (e as Error).message });
        next = null;
      }
      if (next !== null && (nextAt === null || next < nextAt)) nextAt = next;
    }
    return nextAt;
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  async function run(): Promise<void> {
    while (!stopped) {
      isNudged = false;
      if (deps.isTurn && !deps.isTurn()) {
        await sleep(options.maxSleepMs);
        continue;
      }
      let nextAt: number | null = null;
      try {
        nextAt = await tick();
      } catch (e) {
        log.warn('schedule pass failed; will try again', { error: (e as Error).message });
      }
      await pruneHistory().catch((e) => log.warn('pruning due-time history failed; will try again', { error: (e as Error).message }));
      if (stopped) return;
      if (isNudged) continue;
      // A few ms past the due time, so the next pass is sure to find it due; a backlog goes on after a breath.
      const now = clock.now();
      const waitMs = nextAt === null ? options.maxSleepMs : nextAt <= now ? 50 : Math.min(options.maxSleepMs, nextAt - now + 5);
      await sleep(waitMs);
    }
  }

  return {
    tick,
    /** A job's schedule may have changed: look again now rather than after the current sleep. */
    nudge(): void {
      isNudged = true;
      wake?.();
    },
    start(): void {
      if (!stopped) return;
      stopped = false;
      loop = run();
    },
    async stop(): Promise<void> {
      stopped = true;
      wake?.();
      await loop;
      loop = null;
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;

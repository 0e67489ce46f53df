import type { Redis } from 'ioredis';
import { type Logger, redisKeys } from '../platform';
import type { Db } from '../db';
import { isEnqueued, type RunQueue } from '../queue';
import type { RunEngine } from './run.engine';
import { findLongQueuedRuns, findRunningRuns } from './sql/reconcile-runs.queries';

export interface ReconcilerOptions {
  intervalMs: number;
  /** How long a queued run may be missing from Redis before it is put back. */
  queuedGraceMs: number;
}

/**
 * Makes PostgreSQL's view of runs come true, whatever Redis forgot or a worker
 * left behind:
 * - queued runs whose queue job is gone (Redis restarted without persistence) are put back;
 * - running runs whose worker stopped beating (two sweeps in a row) lose that attempt;
 * - running runs whose cancel was not carried out within the grace period are cancelled.
 * Every change goes through the run engine and is fenced, so any number of
 * reconcilers can run at once.
 */
export function createReconciler(deps: { db: Db; redis: Redis; queue: RunQueue; runs: RunEngine; prefix: string; log: Logger; options: ReconcilerOptions }) {
  const { db, redis, queue, runs, log, options } = deps;
  const keys = redisKeys(deps.prefix);
  let suspects = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function requeueMissing() {
    for (const r of await findLongQueuedRuns(db.sql, options.queuedGraceMs)) {
      if (await isEnqueued(queue, r.id, r.attempt)) continue;
      log.warn('re-enqueueing a queued run that Redis no longer holds', { runId: r.id, attempt: r.attempt });
      await runs.requeue(r.id, r.attempt, r.not_before);
    }
  }

  async function recoverLost() {
    const rows = await findRunningRuns(db.sql);
    const workers = [...new Set(rows.map((r) => r.worker_id))];
    const alive = new Set<string>();
    if (workers.length) {
      const found = await redis.mget(workers.map((w) => keys.worker(w)));
      workers.forEach((w, i) => found[i] != null && alive.add(w));
    }
    const nextSuspects = new Set<string>();
    for (const r of rows) {
      if (alive.has(r.worker_id)) continue;
      const key = `${r.id}.${r.attempt}`;
      if (!suspects.has(key)) {
        nextSuspects.add(key);
        continue;
      }
      log.warn('a worker stopped beating with a run in hand', { runId: r.id, attempt: r.attempt, workerId: r.worker_id });
      await runs.retryOrFail({ runId: r.id, attempt: r.attempt, error: { code: 'worker_lost', message: `worker ${r.worker_id} stopped responding` } });
    }
    suspects = nextSuspects;
  }

  async function sweep() {
    try {
      await requeueMissing();
      await recoverLost();
      await runs.forceOverdueCancels();
    } catch (e) {
      log.warn('reconcile sweep failed; will try again', { error: (e as Error).message });
    }
  }

  return {
    sweep,
    start() {
      const tick = () => {
        running = sweep().finally(() => {
          running = null;
          if (timer) timer = setTimeout(tick, options.intervalMs);
        });
      };
      timer = setTimeout(tick, options.intervalMs);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}

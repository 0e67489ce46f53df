import type { Redis } from 'ioredis';
import { type Logger, redisKeys } from '../platform';
import type { Db } from '../db';
import { enqueueRun, isEnqueued, type RunQueue } from '../queue';
import type { RunLifecycle } from './run.lifecycle';
import { runStore, type RunRow } from './run.store';

export interface ReconcilerOptions {
  intervalMs: number;
  /** How long a queued run may be missing from Redis before it is put back. */
  queuedGraceMs: number;
  /** A cancel the worker has not carried out after this long is done without it. */
  cancelGraceMs: number;
}

/**
 * Makes PostgreSQL's view of runs come true, whatever Redis forgot or a worker
 * left behind:
 * - queued runs whose queue job is gone (Redis restarted without persistence) are put back;
 * - running runs whose worker stopped beating (two sweeps in a row) lose that attempt;
 * - running runs whose cancel was not carried out in time are cancelled.
 * Every write is fenced, so any number of reconcilers can run at once.
 */
export function createReconciler(deps: {
  db: Db;
  redis: Redis;
  queue: RunQueue;
  lifecycle: RunLifecycle;
  prefix: string;
  log: Logger;
  options: ReconcilerOptions;
}) {
  const { db, redis, queue, lifecycle, log, options } = deps;
  const keys = redisKeys(deps.prefix);
  let suspects = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function requeueMissing() {
    const rows = await db.sql<{ id: string; attempt: number; not_before: Date | null }>(
      `select id, attempt, not_before from runs
       where status = 'queued' and coalesce(not_before, queued_at) < now() - ? * interval '1 millisecond'
       order by queued_at limit 1000`,
      [options.queuedGraceMs],
    );
    for (const r of rows) {
      if (await isEnqueued(queue, r.id, r.attempt)) continue;
      log.warn('re-enqueueing a queued run that Redis no longer holds', { runId: r.id, attempt: r.attempt });
      await enqueueRun(queue, r.id, r.attempt);
    }
  }

  async function recoverLost() {
    const rows = await db.sql<Pick<RunRow, 'id' | 'attempt' | 'worker_id'>>(
      `select id, attempt, worker_id from runs where status = 'running' and worker_id is not null limit 5000`,
    );
    const workers = [...new Set(rows.map((r) => r.worker_id!))];
    const alive = new Set<string>();
    if (workers.length) {
      const found = await redis.mget(workers.map((w) => keys.worker(w)));
      workers.forEach((w, i) => found[i] != null && alive.add(w));
    }
    const nextSuspects = new Set<string>();
    for (const r of rows) {
      if (alive.has(r.worker_id!)) continue;
      const key = `${r.id}.${r.attempt}`;
      if (!suspects.has(key)) {
        nextSuspects.add(key);
        continue;
      }
      log.warn('a worker stopped beating with a run in hand', { runId: r.id, attempt: r.attempt, workerId: r.worker_id });
      await lifecycle.retryOrFail(r.id, r.attempt, { code: 'worker_lost', message: `worker ${r.worker_id} stopped responding` });
    }
    suspects = nextSuspects;
  }

  async function forceCancels() {
    const rows = await db.sql<{ id: string }>(`select id from runs where status = 'running' and cancel_requested_at < now() - ? * interval '1 millisecond'`, [
      options.cancelGraceMs,
    ]);
    for (const r of rows) {
      const row = await runStore.forceCancel(db.sql, r.id, 'Cancelled (the worker did not stop in time)');
      if (row) lifecycle.publish(row);
    }
  }

  async function sweep() {
    try {
      await requeueMissing();
      await recoverLost();
      await forceCancels();
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

import type { Redis } from 'ioredis';
import { type Logger, redisKeys } from '../platform';
import type { Db } from '../db';
import { areEnqueued, type RunQueue } from '../queue';
import type { RunEngine } from './run.engine';
import { findLongQueuedRuns, findRunningRuns } from './sql/reconcile-runs.queries';

export interface ReconcilerOptions {
  /** How often the process holding the sweep lease reconciles. */
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
 * Every change goes through the run engine and is fenced, so two reconcilers
 * at once do no harm; the sweeper (`core/src/sweeps`) runs one per install.
 * Redis is asked once per batch of runs, whatever the backlog.
 */
export function createReconciler(deps: { db: Db; redis: Redis; queue: RunQueue; runs: RunEngine; prefix: string; log: Logger; options: ReconcilerOptions }) {
  const { db, redis, queue, runs, log, options } = deps;
  const keys = redisKeys(deps.prefix);
  let suspects = new Set<string>();

  async function requeueMissing() {
    const rows = await findLongQueuedRuns(db.sql, options.queuedGraceMs);
    const held = await areEnqueued(
      queue,
      rows.map((r) => ({ runId: r.id, attempt: r.attempt })),
    );
    const missing = rows.filter((_, i) => !held[i]);
    if (missing.length === 0) return;
    log.warn('re-enqueueing queued runs that Redis no longer holds', { runs: missing.length, runIds: missing.slice(0, 20).map((r) => r.id) });
    // Requeued together, so the enqueuer sends them in one pipeline.
    await Promise.all(missing.map((r) => runs.requeue(r.id, r.attempt, r.not_before)));
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

  return { sweep };
}

export type Reconciler = ReturnType<typeof createReconciler>;

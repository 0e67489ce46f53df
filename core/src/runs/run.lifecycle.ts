import type { RunDto } from '@jobflow/shared';
import type { Db } from '../db';
import type { LivePublisher } from '../live';
import { createEnqueuer, type RunQueue } from '../queue';
import type { RunBatches } from './run.batches';
import { runStore, systemLineOf, toRunDto, type NewRun, type RunRow } from './run.store';

export interface BackoffOptions {
  /** Delay before the 2nd attempt; doubles for each later one. */
  baseMs: number;
  capMs: number;
}

/** Delay before the attempt after `attempt`: base, 2 x base, 4 x base, ... up to the cap. */
export const backoffMs = (attempt: number, { baseMs, capMs }: BackoffOptions) => Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));

/**
 * The moves of a run that server and worker share: each stores the change,
 * then tells the live rooms, then (for a new attempt) puts it on the queue.
 */
export function createRunLifecycle(deps: {
  db: Db;
  queue: RunQueue;
  live: LivePublisher;
  batches: RunBatches;
  backoff: BackoffOptions;
  /** Told of every stored change once it is published; must return at once (notifications hang here). */
  onChange?: (row: RunRow) => void;
}) {
  const { db, live } = deps;
  const enqueue = createEnqueuer(deps.queue);

  /** Pushes a stored change: the run's new snapshot, and the system line it stored, if any. */
  const publish = (row: RunRow): RunDto => {
    const run = toRunDto(row);
    live.runUpdated(run);
    const line = systemLineOf(row);
    if (line) live.runLog(row.id, [line]);
    try {
      deps.onChange?.(row);
    } catch {
      // a listener's failure is its own; the change is stored and published
    }
    return run;
  };

  return {
    publish,

    /**
     * Stores a new queued run, pushes it, and starts putting it on the queue.
     * The run exists once this resolves; `enqueued` settles when Redis has it
     * (if Redis is down, the reconciler enqueues it later). Null when the job
     * does not exist (or is of a type this build lacks).
     */
    async start(newRun: NewRun): Promise<{ run: RunDto; enqueued: Promise<void> } | null> {
      const row = await deps.batches.create(newRun);
      if (!row) return null;
      const run = publish(row);
      return { run, enqueued: enqueue({ runId: row.id, attempt: row.attempt }) };
    },

    /** Ends an attempt in error: another attempt after backoff while any remain, else `failed`. */
    async retryOrFail(runId: string, attempt: number, error: { code: string; message: string }, isFreeAttempt = false): Promise<RunRow | null> {
      const row = await runStore.retryOrFail(db.sql, runId, attempt, error, isFreeAttempt ? 0 : backoffMs(attempt, deps.backoff), isFreeAttempt);
      if (!row) return null;
      publish(row);
      if (row.status === 'queued') await enqueue({ runId: row.id, attempt: row.attempt, notBefore: row.not_before });
      return row;
    },
  };
}

export type RunLifecycle = ReturnType<typeof createRunLifecycle>;

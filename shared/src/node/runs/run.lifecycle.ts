import type { RunDto } from '../../dto';
import type { Db } from '../db-access';
import type { LivePublisher } from '../live';
import { enqueueRun, type RunQueue } from '../queue';
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
export function createRunLifecycle(deps: { db: Db; queue: RunQueue; live: LivePublisher; backoff: BackoffOptions }) {
  const { db, queue, live } = deps;

  /** Pushes a stored change: the run's new snapshot, and the system line it stored, if any. */
  const publish = (row: RunRow): RunDto => {
    const run = toRunDto(row);
    live.runUpdated(run);
    const line = systemLineOf(row);
    if (line) live.runLog(row.id, [line]);
    return run;
  };

  return {
    publish,

    async start(newRun: NewRun): Promise<RunDto> {
      const row = await runStore.create(db.sql, newRun);
      const run = publish(row);
      await enqueueRun(queue, row.id, row.attempt);
      return run;
    },

    /** Ends an attempt in error: another attempt after backoff while any remain, else `failed`. */
    async retryOrFail(runId: string, attempt: number, error: { code: string; message: string }): Promise<RunRow | null> {
      const row = await runStore.retryOrFail(db.sql, runId, attempt, error, backoffMs(attempt, deps.backoff));
      if (!row) return null;
      publish(row);
      if (row.status === 'queued') await enqueueRun(queue, row.id, row.attempt, row.not_before);
      return row;
    },
  };
}

export type RunLifecycle = ReturnType<typeof createRunLifecycle>;

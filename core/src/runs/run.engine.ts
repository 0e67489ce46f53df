import { isFinalStatus, type LogLineDto, type RunDto } from '@jobflow/shared';
import type { Db, Sql, Timestamp } from '../db';
import type { Logger } from '../platform';
import { createEnqueuer, dequeueRun, type CancelRequest, type RunQueue } from '../queue';
import { createRunBatches, type RunBatches } from './run.batches';
import { createRunEvents, type RunEvents } from './run.events';
import { systemLineOf, toRunDto, type Claim, type ClaimOutcome, type Ending, type LogAppend, type NewRun, type RunError, type RunRow } from './run-row';
import { cancelQueuedRun } from './sql/cancel-queued-run.queries';
import { createRuns } from './sql/create-runs.queries';
import { forceCancelRuns } from './sql/force-cancel-runs.queries';
import { getRun, runExists } from './sql/get-run.queries';
import { listRuns, type RunListFilter } from './sql/list-runs.queries';
import { listRunAttempts } from './sql/run-attempts.queries';
import { noteRun } from './sql/note-run.queries';
import { readLastLines, readLines } from './sql/read-lines.queries';
import { searchLines, type LineSearchAfter, type LineSearchFilter } from './sql/search-lines.queries';
import { readJobStorage } from './sql/job-storage.queries';
import { requestCancel } from './sql/request-cancel.queries';
import { retryOrFailRun } from './sql/retry-or-fail-run.queries';
import { countActiveRuns, countFinishedPerHour } from './sql/run-stats.queries';
import { queueDepth } from './sql/queue-depth.queries';
import { setProgress } from './sql/set-progress.queries';

export interface BackoffOptions {
  /** Delay before the 2nd attempt; doubles for each later one. */
  baseMs: number;
  capMs: number;
}

/** Delay before the attempt after `attempt`: base, 2 x base, 4 x base, ... up to the cap. */
export const backoffMs = (attempt: number, { baseMs, capMs }: BackoffOptions) => Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));

export interface RunEngineOptions {
  db: Db;
  /** Where new attempts go (workers consume through a queue of their own). */
  queue: RunQueue;
  /** Tells the worker holding an attempt to abort it. */
  sendCancel(request: CancelRequest): Promise<void>;
  backoff: BackoffOptions;
  /** How long a worker has to carry out a cancel before the run is cancelled without it. */
  cancelGraceMs: number;
  log: Logger;
}

/** An attempt that ended in error, as `retryOrFail` takes it. */
export interface FailedAttempt {
  runId: string;
  attempt: number;
  error: RunError;
  /** The attempt was interrupted through no fault of the run (the worker shut down): it does not use up an attempt. */
  isFreeAttempt?: boolean;
  /** What the attempt set as its result before it failed; kept with the run. */
  result?: Record<string, unknown> | null;
}

export type CancelOutcome =
  /** It was queued: cancelled now. */
  | { kind: 'cancelled'; run: RunDto }
  /** It is running: its worker is told to stop, and after the grace period it is cancelled without it. */
  | { kind: 'requested'; run: RunDto }
  /** It is final already (or moved on meanwhile): nothing changed. */
  | { kind: 'unchanged'; run: RunDto }
  | { kind: 'missing' };

/** What `transaction` hands its work: the transaction's statements, and the run it may create in it. */
export interface RunTransaction {
  sql: Sql;
  /** Stores a queued run in this transaction (null when its job does not exist). */
  createRun(newRun: NewRun): Promise<RunRow | null>;
}

/** A forced cancel's line, after the message of the request when this process made it. */
const FORCED_SUFFIX = ' (the worker did not stop in time)';
/** A forced cancel is tried a little after the grace period, so the database's clock agrees it is over. */
const FORCE_MARGIN_MS = 250;

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The run engine: the one writer of run state. Every change of a run goes
 * through one of its operations, and each operation does the same things in
 * the same order: store the change (fenced by run id and attempt), tell the
 * listeners of `events` (live events, notifications), then put a new
 * attempt on the queue, take a cancelled one off, or tell a worker to stop.
 * Callers never publish, notify or enqueue themselves.
 */
export function createRunEngine(o: RunEngineOptions) {
  const { db, log } = o;
  const events: RunEvents = createRunEvents((name, error) => log.warn('a run event listener failed', { event: name, error: messageOf(error) }));
  const batches: RunBatches = createRunBatches(db);
  const enqueue = createEnqueuer(o.queue);
  const forceTimers = new Set<NodeJS.Timeout>();

  /** Tells the listeners of a stored change: its snapshot, its system line, and what it means. */
  function announce(row: RunRow, isClaim = false): RunDto {
    const change = { row, run: toRunDto(row) };
    events.emit('run.stored', change);
    const line = systemLineOf(row);
    if (line) events.emit('run.logged', { runId: row.id, lines: [line] });
    if (isClaim) events.emit('run.started', change);
    if (isFinalStatus(row.status)) events.emit('run.ended', change);
    return change.run;
  }

  /**
   * Queues a new run's first attempt; resolves when Redis has it or could not
   * take it (then the run stays stored as queued and a reconciler queues it later).
   */
  const enqueueOrLeave = (row: RunRow): Promise<void> =>
    enqueue({ runId: row.id, attempt: row.attempt, notBefore: row.not_before }).catch((e) =>
      log.warn('could not enqueue a run; the reconciler will', { runId: row.id, error: messageOf(e) }),
    );

  /** running -> cancelled for runs whose cancel is overdue (one run, or all of them). */
  async function forceCancels(message: string, runId?: string): Promise<number> {
    const rows = await forceCancelRuns(db.sql, message, o.cancelGraceMs, runId);
    for (const row of rows) announce(row);
    return rows.length;
  }

  return {
    events,
    /** The grouped writes underneath (for tests of the grouping itself). */
    batches,

    /**
     * Stores a new queued run, announces it and starts putting it on the
     * queue. The run exists once this resolves; `enqueued` resolves when Redis
     * has it or could not take it (logged: a reconciler queues the run later). Null
     * when the job does not exist (or is of a type this build lacks).
     */
    async start(newRun: NewRun): Promise<{ run: RunDto; enqueued: Promise<void> } | null> {
      const row = await batches.create(newRun);
      if (!row) return null;
      return { run: announce(row), enqueued: enqueueOrLeave(row) };
    },

    /**
     * Runs `work` in one transaction that may also create runs: they are
     * stored with whatever else `work` writes, or not at all. Once committed,
     * they are announced and queued.
     */
    async transaction<T>(work: (tx: RunTransaction) => Promise<T>): Promise<T> {
      const created: RunRow[] = [];
      const value = await db.tx((sql) =>
        work({
          sql,
          async createRun(newRun) {
            const [row] = await createRuns(sql, [newRun]);
            if (row) created.push(row);
            return row ?? null;
          },
        }),
      );
      for (const row of created) {
        announce(row);
        void enqueueOrLeave(row);
      }
      return value;
    },

    /** queued -> running for exactly this attempt, on behalf of a worker. */
    async claim(claim: Claim): Promise<ClaimOutcome> {
      const outcome = await batches.claim(claim);
      if (outcome.kind === 'claimed') announce(outcome.row, true);
      return outcome;
    },

    /** Appends lines for the current attempt: the lines as stored, or null when the attempt is no longer current. */
    async appendLines(append: LogAppend): Promise<LogLineDto[] | null> {
      const lines = await batches.appendLogs(append);
      if (lines?.length) events.emit('run.logged', { runId: append.runId, lines });
      return lines;
    },

    /** Stores the current attempt's progress (0..1); null when the attempt is not current or nothing changed. */
    async setProgress(runId: string, attempt: number, fraction: number): Promise<RunDto | null> {
      const row = await setProgress(db.sql, runId, attempt, fraction);
      return row ? announce(row) : null;
    },

    /**
     * running -> succeeded | failed | cancelled for exactly this attempt,
     * with the attempt's last lines; null when the attempt is no longer current.
     */
    async finish(ending: Ending): Promise<RunDto | null> {
      const row = await batches.finish(ending);
      if (!row) return null;
      if (row.stored_lines?.length) events.emit('run.logged', { runId: row.id, lines: row.stored_lines });
      return announce(row);
    },

    /**
     * Ends an attempt in error: running -> queued for another attempt after
     * the backoff while any remain (it is on the queue when this resolves),
     * else failed. Null when the attempt is no longer current.
     */
    async retryOrFail(f: FailedAttempt): Promise<RunDto | null> {
      const row = await retryOrFailRun(db.sql, { ...f, backoffMs: f.isFreeAttempt ? 0 : backoffMs(f.attempt, o.backoff) });
      if (!row) return null;
      const run = announce(row);
      if (row.status === 'queued') await enqueue({ runId: row.id, attempt: row.attempt, notBefore: row.not_before });
      return run;
    },

    /**
     * Cancels a run: a queued one at once (and takes it off the queue); a
     * running one is marked, its worker is told to stop, and if the run is
     * still running `cancelGraceMs` later it is cancelled without the worker
     * (whose later writes are then refused).
     */
    async cancel(runId: string, message: string): Promise<CancelOutcome> {
      const cancelled = await cancelQueuedRun(db.sql, runId, message);
      if (cancelled) {
        dequeueRun(o.queue, runId, cancelled.attempt).catch((e) => log.warn('could not remove a cancelled run from the queue', { runId, error: messageOf(e) }));
        return { kind: 'cancelled', run: announce(cancelled) };
      }
      const marked = await requestCancel(db.sql, runId);
      if (!marked) {
        const now = await getRun(db.sql, runId);
        return now ? { kind: 'unchanged', run: toRunDto(now) } : { kind: 'missing' };
      }
      await o.sendCancel({ runId, attempt: marked.attempt, message });
      const timer = setTimeout(() => {
        forceTimers.delete(timer);
        forceCancels(message + FORCED_SUFFIX, runId).catch((e) => log.warn('could not force a cancel; a reconciler will', { runId, error: messageOf(e) }));
      }, o.cancelGraceMs + FORCE_MARGIN_MS);
      timer.unref();
      forceTimers.add(timer);
      return { kind: 'requested', run: toRunDto(marked) };
    },

    /** Cancels, without their workers, every running run whose cancel is older than the grace period; how many. */
    forceOverdueCancels: () => forceCancels('Cancelled' + FORCED_SUFFIX),

    /** Puts a queued attempt back on the queue (Redis lost it); the run itself does not change. */
    requeue: (runId: string, attempt: number, notBefore: Timestamp | null) => enqueue({ runId, attempt, notBefore }),

    /** Appends a `system` line to a run in any state (e.g. a notification's outcome); null when the run is gone. */
    async note(runId: string, text: string): Promise<LogLineDto | null> {
      const line = await noteRun(db.sql, runId, text);
      if (line) events.emit('run.logged', { runId, lines: [line] });
      return line;
    },

    get: (runId: string) => getRun(db.sql, runId),
    exists: (runId: string) => runExists(db.sql, runId),
    /** Lines with `seq > after`, ascending, at most `limit`. */
    lines: (runId: string, after: number, limit: number) => readLines(db.sql, runId, after, limit),
    /** The last `count` lines up to `upToSeq`, oldest first. */
    lastLines: (runId: string, upToSeq: number, count: number) => readLastLines(db.sql, runId, upToSeq, count),
    list: (filter: RunListFilter, limit: number, after: { at: string; id: string } | null) => listRuns(db.sql, filter, limit, after),
    /** Stored lines containing a text, newest first, each with its run. */
    searchLines: (filter: LineSearchFilter, limit: number, after: LineSearchAfter | null) => searchLines(db.sql, filter, limit, after),
    /** Runs, stored lines and their bytes of one job. */
    jobStorage: (jobId: string) => readJobStorage(db.sql, jobId),
    /** Every attempt of the run, oldest first. */
    attempts: (runId: string) => listRunAttempts(db.sql, runId),
    countActive: () => countActiveRuns(db.sql),
    countFinishedPerHour: (hours: number) => countFinishedPerHour(db.sql, hours),
    /** Runs waiting in the queue now, in all and per job (the `maxJobs` that have waited longest). */
    queueDepth: (maxJobs: number) => queueDepth(db.sql, maxJobs),

    /** Drops the pending forced cancels of this process (a reconciler elsewhere carries them out). */
    close(): void {
      for (const timer of forceTimers) clearTimeout(timer);
      forceTimers.clear();
    },
  };
}

export type RunEngine = ReturnType<typeof createRunEngine>;

import { setTimeout as sleep } from 'node:timers/promises';
import type { Db, Lease } from '../db';
import type { Logger } from '../platform';
import { countKeptRunsIn, dropLogPartition, ensureLogPartitions, listLogPartitions } from './sql/log-partitions.queries';
import { deleteLinesOfRuns, deletePurgeableRuns, findPurgeableRuns } from './sql/purge-runs.queries';

export interface RetentionOptions {
  /** `RUN_RETENTION_DAYS`: finished runs older than this go (null: kept, unless their job's `keepRuns`/`keepDays` say otherwise). */
  retentionDays: number | null;
  /** Between two sweeps. */
  intervalMs: number;
  /** Runs purged together (their lines first, then the runs in one statement). */
  runsPerBatch: number;
  /** Lines one statement deletes: small statements hold few row locks for a short time. */
  linesPerStatement: number;
  /** Shortest pause between two deleting statements, which leaves the database to ingest and the API. */
  pauseMs: number;
  /**
   * After each deleting statement, a pause of this many times as long as the
   * statement took (when longer than `pauseMs`): 1 keeps a purge to at most
   * half of one connection's time however loaded the database is, so a purge
   * slows down when the machine is busy instead of taking its share from ingest.
   */
  restPerWork: number;
  /** Weekly partitions of `run_logs` kept ready ahead of the current week. */
  weeksAhead: number;
}

export const DEFAULT_RETENTION_OPTIONS: RetentionOptions = {
  retentionDays: null,
  intervalMs: 5 * 60_000,
  runsPerBatch: 50,
  linesPerStatement: 2000,
  pauseMs: 5,
  restPerWork: 2,
  weeksAhead: 8,
};

/** What one sweep removed. */
export interface SweepResult {
  runs: number;
  lines: number;
  /** Partitions of `run_logs` dropped whole. */
  partitions: string[];
  /** Objects of deleted runs' artifacts removed from the S3 bucket (by this sweep or earlier purges and deletes). */
  objects: number;
}

/** A partition's week must have ended this long ago before it may be dropped (no statement can still be writing to it). */
const PARTITION_SETTLE_MS = 3600_000;

/**
 * Deletes what retention lets go, in one process at a time (whoever holds the
 * `run-retention` lease):
 * 1. keeps the weekly partitions of `run_logs` made ahead;
 * 2. drops, oldest first, each ended week whose lines all belong to runs that
 *    may be purged or are gone (a detach that blocks no writer, then a drop);
 *    finding out costs one index probe per run with lines in the week;
 * 3. purges the remaining purgeable runs in batches: their lines by small
 *    statements with pauses between them, then the runs themselves (a run's
 *    attempts, deliveries and anything else that references it with
 *    `on delete cascade` go with it);
 * 4. removes what deleted runs left outside PostgreSQL (their artifacts'
 *    objects in the S3 bucket), after the transactions that deleted them: what
 *    cannot be removed now (the bucket is down) is tried again next sweep.
 * A run that is not final is never purged.
 */
export function createRetentionSweeper(deps: {
  db: Db;
  lease: Lease;
  log: Logger;
  options: RetentionOptions;
  /** Removes what deleted runs left outside PostgreSQL (artifact objects in the bucket); resolves with how many went. */
  removeDeletedContent?: () => Promise<{ removed: number }>;
}) {
  const { db, lease, log, options } = deps;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let isStopped = false;

  async function dropEndedPartitions(): Promise<string[]> {
    const dropped: string[] = [];
    const settled = Date.now() - PARTITION_SETTLE_MS;
    for (const partition of await listLogPartitions(db.sql)) {
      if (isStopped || Date.parse(partition.to) > settled) break;
      if (!partition.isDetachPending && (await countKeptRunsIn(db.sql, partition.name, options.retentionDays)) > 0) continue;
      await dropLogPartition(db.sql, partition);
      dropped.push(partition.name);
    }
    return dropped;
  }

  async function purgeRuns(result: SweepResult): Promise<void> {
    while (!isStopped && (await lease.take())) {
      const ids = await findPurgeableRuns(db.sql, options.retentionDays, options.runsPerBatch);
      if (ids.length === 0) return;
      for (let n = options.linesPerStatement; n === options.linesPerStatement && !isStopped;) {
        const startedAt = performance.now();
        n = await deleteLinesOfRuns(db.sql, ids, options.linesPerStatement);
        result.lines += n;
        const pauseMs = Math.max(options.pauseMs, (performance.now() - startedAt) * options.restPerWork);
        if (pauseMs > 0) await sleep(pauseMs);
      }
      if (isStopped) return;
      const purged = await deletePurgeableRuns(db.sql, options.retentionDays, ids);
      result.runs += purged.length;
      if (purged.length === 0) return;
    }
  }

  /** One sweep, if this process holds (or can take) the lease; what it removed. */
  async function sweep(): Promise<SweepResult> {
    const result: SweepResult = { runs: 0, lines: 0, partitions: [], objects: 0 };
    if (!(await lease.take())) return result;
    await ensureLogPartitions(db.sql, new Date(), options.weeksAhead);
    result.partitions = await dropEndedPartitions();
    await purgeRuns(result);
    if (deps.removeDeletedContent && !isStopped) {
      try {
        result.objects = (await deps.removeDeletedContent()).removed;
      } catch (e) {
        log.warn('removing deleted artifacts from the bucket failed; the next sweep tries again', { error: (e as Error).message });
      }
    }
    if (result.runs || result.partitions.length || result.objects) log.info('purged runs past their retention', { ...result });
    return result;
  }

  return {
    sweep,
    start() {
      const tick = () => {
        running = sweep()
          .catch((e) => log.warn('retention sweep failed; will try again', { error: (e as Error).message }))
          .finally(() => {
            running = null;
            if (timer) timer = setTimeout(tick, options.intervalMs);
          });
      };
      timer = setTimeout(tick, 0);
    },
    async stop() {
      isStopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      await lease.release().catch(() => {});
    },
  };
}

export type RetentionSweeper = ReturnType<typeof createRetentionSweeper>;

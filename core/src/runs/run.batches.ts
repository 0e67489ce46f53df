import { createBatcher, type Db } from '../db';
import type { LogLineDto } from '@jobflow/shared';
import { runStore, type Claim, type ClaimOutcome, type Ending, type LogAppend, type NewRun, type RunRow } from './run.store';

/** Statements of one kind in flight at once, per process (each holds a pooled connection). */
const MAX_IN_FLIGHT = 2;
const MAX_BATCH = 200;
/** Log lines stored by one statement (with endings, or appended). */
const MAX_STATEMENT_LINES = 5000;

/**
 * The writes every run makes (stored, claimed, lines appended, ended), each
 * grouped across runs: concurrent calls share one statement and one commit
 * (see `createBatcher`). Same results as the single-run statements of
 * `runStore`.
 */
export function createRunBatches(db: Db) {
  const create = createBatcher<NewRun, RunRow | null>({
    run: (runs) => runStore.createMany(db.sql, runs),
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
  });
  const claimUnlimited = createBatcher<Claim, RunRow | null>({
    run: (claims) => runStore.claimMany(db.sql, claims),
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
  });
  const finish = createBatcher<Ending, RunRow | null>({
    run: (endings) => runStore.finishMany(db.sql, endings),
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    weigh: (e) => (e.lines?.length ?? 0) + 1,
    maxWeight: MAX_STATEMENT_LINES,
  });
  const appendLogs = createBatcher<LogAppend, LogLineDto[] | null>({
    run: (appends) => runStore.appendLogsMany(db.sql, appends),
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    weigh: (a) => a.lines.length,
    maxWeight: MAX_STATEMENT_LINES,
  });
  return {
    /** Stores a queued run (null when its job does not exist). */
    create,
    /** queued -> running for exactly this attempt (see `runStore.claimMany` and `claimLimited`). */
    async claim(claim: Claim): Promise<ClaimOutcome> {
      const row = await claimUnlimited(claim);
      return row ? { kind: 'claimed', row } : runStore.claimLimited(db, claim);
    },
    /** Appends lines for the current attempt; the lines as stored, or null when the attempt is no longer current. */
    appendLogs,
    /** running -> final for exactly this attempt; null when it is no longer current. */
    finish,
  };
}

export type RunBatches = ReturnType<typeof createRunBatches>;

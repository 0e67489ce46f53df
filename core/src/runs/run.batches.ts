import type { LogLineDto } from '@jobflow/shared';
import { createBatcher, type Db } from '../db';
import { logTraceChannel, traceLog } from '../platform';
import type { Claim, ClaimOutcome, Ending, LogAppend, NewRun, RunRow } from './run-row';
import { appendLines } from './sql/append-lines.queries';
import { claimLimitedRun, claimRuns } from './sql/claim-runs.queries';
import { createRuns } from './sql/create-runs.queries';
import { finishRuns } from './sql/finish-runs.queries';

/** Statements of one kind in flight at once, per process (each holds a pooled connection). */
const MAX_IN_FLIGHT = 2;
const MAX_BATCH = 200;
/** Log lines stored by one statement (with endings, or appended). */
const MAX_STATEMENT_LINES = 5000;

/**
 * The writes every run makes (stored, claimed, lines appended, ended), each
 * grouped across runs: concurrent calls share one statement and one commit
 * (see `createBatcher`). Same results as one statement per call.
 */
export function createRunBatches(db: Db) {
  const create = createBatcher<NewRun, RunRow | null>({
    run: (runs) => createRuns(db.sql, runs),
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
  });
  const claimUnlimited = createBatcher<Claim, RunRow | null>({
    run: (claims) => claimRuns(db.sql, claims),
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
  });
  const finish = createBatcher<Ending, RunRow | null>({
    run: (endings) => finishRuns(db.sql, endings),
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    weigh: (e) => (e.lines?.length ?? 0) + 1,
    maxWeight: MAX_STATEMENT_LINES,
  });
  const appendLogs = createBatcher<LogAppend, LogLineDto[] | null>({
    run: async (appends) => {
      // Nothing more than the statement unless someone traces lines.
      if (!logTraceChannel.hasSubscribers) return appendLines(db.sql, appends);
      for (const a of appends) traceLog('sent', a.runId, a.lines);
      const stored = await appendLines(db.sql, appends);
      stored.forEach((lines, i) => lines && traceLog('stored', appends[i]!.runId, lines));
      return stored;
    },
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    weigh: (a) => a.lines.length,
    maxWeight: MAX_STATEMENT_LINES,
  });
  return {
    /** Stores a queued run (null when its job does not exist). */
    create,
    /** queued -> running for exactly this attempt (see `claimRuns` and `claimLimitedRun`). */
    async claim(claim: Claim): Promise<ClaimOutcome> {
      const row = await claimUnlimited(claim);
      return row ? { kind: 'claimed', row } : claimLimitedRun(db, claim);
    },
    /** Appends lines for the current attempt; the lines as stored, or null when the attempt is no longer current. */
    appendLogs,
    /** running -> final for exactly this attempt; null when it is no longer current. */
    finish,
  };
}

export type RunBatches = ReturnType<typeof createRunBatches>;

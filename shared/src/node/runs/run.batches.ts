import { createBatcher } from '../batcher';
import type { Db } from '../db-access';
import { runStore, type Claim, type ClaimOutcome, type Ending, type NewRun, type RunRow } from './run.store';

/** Statements of one kind in flight at once, per process (each holds a pooled connection). */
const MAX_IN_FLIGHT = 2;
const MAX_BATCH = 200;
/** Log lines stored with the endings of one statement. */
const MAX_ENDING_LINES = 5000;

/**
 * The three writes every run makes (stored, claimed, ended), each grouped
 * across runs: concurrent calls share one statement and one commit (see
 * `createBatcher`). Same results as the single-run statements of `runStore`.
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
    maxWeight: MAX_ENDING_LINES,
  });
  return {
    /** Stores a queued run (null when its job does not exist). */
    create,
    /** queued -> running for exactly this attempt (see `runStore.claimMany` and `claimLimited`). */
    async claim(claim: Claim): Promise<ClaimOutcome> {
      const row = await claimUnlimited(claim);
      return row ? { kind: 'claimed', row } : runStore.claimLimited(db, claim);
    },
    /** running -> final for exactly this attempt; null when it is no longer current. */
    finish,
  };
}

export type RunBatches = ReturnType<typeof createRunBatches>;

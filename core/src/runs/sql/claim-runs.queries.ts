import { defineStatement, type Db, type Sql } from '../../db';
import type { Claim, ClaimOutcome, RunRow } from '../run-row';
import { recordset, withJob } from './fragments';
import { getRun } from './get-run.queries';

/**
 * What claiming sets, besides the worker and the queue job. The start is the
 * statement's time, not the transaction's: a limited claim waits for its
 * job's lock first, and a start stamped before that wait could precede the
 * end of the run whose slot it took.
 */
const CLAIM_SET = `status = 'running', started_at = coalesce(started_at, statement_timestamp()), version = version + 1, progress = null, not_before = null`;

const claimRunsStatement = defineStatement<RunRow, [claims: string]>(
  'claim_runs',
  withJob(`update runs set ${CLAIM_SET}, worker_id = t.worker_id, queue_job_id = t.queue_job_id
           from json_to_recordset($1::json) as t(id uuid, attempt int, worker_id text, queue_job_id text)
           where runs.id = t.id and runs.attempt = t.attempt and runs.status = 'queued'
             and (select max_concurrent_runs from jobs where jobs.id = runs.job_id) is null
           returning runs.*`),
);

const lockJobSlotsStatement = defineStatement<{ locked: string }, [jobId: string]>('lock_job_slots', `select pg_advisory_xact_lock(hashtext($1)) as locked`);

const claimLimitedStatement = defineStatement<RunRow, [workerId: string, queueJobId: string, runId: string, attempt: number]>(
  'claim_run_limited',
  withJob(`update runs set ${CLAIM_SET}, worker_id = $1, queue_job_id = $2 where id = $3 and attempt = $4 and status = 'queued'
           and (select count(*) from runs o where o.job_id = runs.job_id and o.status = 'running')
               < coalesce((select max_concurrent_runs from jobs where jobs.id = runs.job_id), 2147483647)
           returning *`),
);

/**
 * queued -> running for exactly these attempts, in one statement, for runs
 * of jobs without `max_concurrent_runs`. One row per input, in order; null
 * where the run was not claimed this way (see `claimLimitedRun`).
 */
export async function claimRuns(sql: Sql, claims: Claim[]): Promise<(RunRow | null)[]> {
  const rows = await sql(claimRunsStatement, [
    recordset(claims.map((c) => ({ id: c.runId, attempt: c.attempt, worker_id: c.workerId, queue_job_id: c.queueJobId }))),
  ]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return claims.map((c) => byId.get(c.runId) ?? null);
}

/**
 * The claim of a run `claimRuns` did not take: its job has
 * `max_concurrent_runs` (claimed under a per-job advisory lock, so two
 * workers cannot both take the last free slot), or it is not claimable.
 */
export async function claimLimitedRun(db: Db, { runId, attempt, workerId, queueJobId }: Claim): Promise<ClaimOutcome> {
  const current = await getRun(db.sql, runId);
  if (!current || current.status !== 'queued' || current.attempt !== attempt) return { kind: 'unclaimable', row: current };
  return db.tx(async (sql) => {
    await sql(lockJobSlotsStatement, [current.job_id]);
    const [claimed] = await sql(claimLimitedStatement, [workerId, queueJobId, runId, attempt]);
    return claimed ? { kind: 'claimed' as const, row: claimed } : { kind: 'busy' as const };
  });
}

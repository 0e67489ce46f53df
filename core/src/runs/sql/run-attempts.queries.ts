import type { RunAttemptDto } from '@jobflow/shared';
import { defineStatement, iso, type Sql, type Timestamp } from '../../db';

const attemptsStatement = defineStatement<
  {
    attempt: number;
    worker_id: string | null;
    worker_name: string | null;
    started_at: Timestamp;
    finished_at: Timestamp | null;
    outcome: RunAttemptDto['outcome'];
    error_code: string | null;
    error_message: string | null;
  },
  [runId: string]
>(
  'list_run_attempts',
  `select attempt, worker_id, worker_name, started_at, finished_at, outcome, error_code, error_message from run_attempts where run_id = $1 order by attempt`,
);

/**
 * Every attempt of a run, oldest first. `run_attempts` is kept by a trigger
 * on `runs` (see its migration): each claim and each end of an attempt the
 * engine stores records it in the same statement.
 */
export async function listRunAttempts(sql: Sql, runId: string): Promise<RunAttemptDto[]> {
  const rows = await sql(attemptsStatement, [runId]);
  return rows.map((r) => ({
    attempt: r.attempt,
    workerId: r.worker_id,
    workerName: r.worker_name,
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
    outcome: r.outcome,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
  }));
}

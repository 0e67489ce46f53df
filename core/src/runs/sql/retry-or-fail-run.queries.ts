import { defineStatement, type Sql } from '../../db';
import type { RunError, RunRow } from '../run-row';
import { JOB_COLUMNS } from './fragments';

/** `$3` is 1 when the attempt does not count (it is granted back), else 0. */
const AGAIN = 'attempt < max_attempts + $3';

const retryOrFailStatement = defineStatement<
  RunRow,
  [runId: string, attempt: number, grant: number, backoffMs: number, errorCode: string, errorMessage: string, result: string | null, line: string]
>(
  'retry_or_fail_run',
  `with r as (update runs set max_attempts = max_attempts + $3,
                              status = case when ${AGAIN} then 'queued' else 'failed' end,
                              not_before = case when ${AGAIN} then now() + $4 * interval '1 millisecond' else null end,
                              finished_at = case when ${AGAIN} then null else now() end,
                              attempt = case when ${AGAIN} then attempt + 1 else attempt end,
                              error_code = $5, error_message = $6, worker_id = null, progress = null,
                              result = coalesce($7::jsonb, result),
                              version = version + 1, log_count = log_count + 1
              where id = $1 and attempt = $2 and status = 'running' returning *),
   l as (insert into run_logs (run_id, seq, ts, stream, text)
         select r.id, r.log_count, now(), 'system',
                case when r.status = 'queued' then format('attempt %s of %s after: %s', r.attempt, r.max_attempts, $8::text)
                     else format('failed after %s of %s attempts: %s', r.attempt, r.max_attempts, $8::text) end
         from r returning seq, ts, stream, text)
   select r.*, ${JOB_COLUMNS}, (select row_to_json(l) from l) as log_line
   from r join jobs j on j.id = r.job_id`,
);

export interface AttemptFailure {
  runId: string;
  attempt: number;
  error: RunError;
  /** Delay before the next attempt may start. */
  backoffMs: number;
  /** The attempt was interrupted through no fault of the run (worker shutdown): it does not use up an attempt. */
  isFreeAttempt?: boolean;
  /** What the attempt set as its result before it failed (kept; null leaves the stored result). */
  result?: Record<string, unknown> | null;
}

/**
 * An attempt ended in error: queue the next attempt after `backoffMs` while
 * attempts remain (running -> queued), else fail the run. Stores the
 * "attempt n of m after: ..." system line. Null when the attempt is not current.
 */
export async function retryOrFailRun(sql: Sql, f: AttemptFailure): Promise<RunRow | null> {
  const rows = await sql(retryOrFailStatement, [
    f.runId,
    f.attempt,
    f.isFreeAttempt ? 1 : 0,
    f.backoffMs,
    f.error.code,
    f.error.message,
    f.result ? JSON.stringify(f.result) : null,
    `${f.error.code}: ${f.error.message}`,
  ]);
  return rows[0] ?? null;
}

import type { LogLineDto } from '@jobflow/shared';
import type { NewLogLine } from '../run-row';

/** PostgreSQL formatting a timestamp exactly as `Date#toISOString` does (timestamps are stored to the millisecond). */
export const isoSql = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The job columns every statement returns with the run (notifications: so run changes need no second query). */
export const JOB_COLUMNS = 'j.name as job_name, j.type as job_type, j.notifications as job_notifications';

/** The rows of the data-modifying `cte` (on `runs`), each with its job's columns. */
export const withJob = (cte: string) => `with r as (${cte}) select r.*, ${JOB_COLUMNS} from r join jobs j on j.id = r.job_id`;

/**
 * A state change that also stores one `system` log line per run it changes,
 * in one statement: `set` and `where` apply to `runs`, `text` is the line
 * (an expression, usually a placeholder); each line gets its run's next `seq`.
 */
export const transitionWithLine = (set: string, where: string, text: string) => `
  with r as (update runs set ${set}, version = version + 1, log_count = log_count + 1 where ${where} returning *),
  l as (insert into run_logs (run_id, seq, ts, stream, text)
        select r.id, r.log_count, now(), 'system', ${text} from r returning run_id, seq, ts, stream, text)
  select r.*, ${JOB_COLUMNS}, json_build_object('seq', l.seq, 'ts', l.ts, 'stream', l.stream, 'text', l.text) as log_line
  from r join l on l.run_id = r.id join jobs j on j.id = r.job_id`;

/** Lines numbered 1, 2, ... within their batch (the statement adds the run's count before them). */
export const numbered = (lines: NewLogLine[]) => lines.map((l, i) => ({ i: i + 1, ts: l.ts, stream: l.stream, text: l.text }));

/** Lines as stored, the first with `seq` = `first`. */
export const storedFrom = (lines: NewLogLine[], first: number): LogLineDto[] =>
  lines.map((l, i) => ({ seq: first + i, ts: l.ts, stream: l.stream, text: l.text }));

/** The input of a batched statement, as `json_to_recordset` reads it. */
export const recordset = (rows: unknown[]) => JSON.stringify(rows);

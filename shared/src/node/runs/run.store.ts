import { randomBytes } from 'node:crypto';
import { raw } from '@mikro-orm/core';
import type { LogLineDto, LogStream, RunDto, RunStatus, TriggerDto } from '../../dto';
import type { Db } from '../db-access';
import type { Sql } from '../sql';
import { iso } from '../sql';

/** PostgreSQL timestamps as the driver hands them over (ISO-like strings, or Dates). */
export type Timestamp = Date | string;

/** A row of `runs` joined with its job's name, as every statement below returns it. */
export interface RunRow {
  id: string;
  job_id: string;
  job_name: string;
  job_type?: string;
  /** The job's notification targets (stored form), where the statement joined the job. */
  job_notifications?: unknown[];
  status: RunStatus;
  params: Record<string, unknown>;
  attempt: number;
  max_attempts: number;
  progress: number | null;
  queued_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  result: Record<string, unknown> | null;
  error_code: string | null;
  error_message: string | null;
  trigger_kind: TriggerDto['kind'];
  trigger_user_id: string | null;
  rerun_of: string | null;
  log_count: number;
  version: number;
  timeout_sec: number | null;
  not_before: Timestamp | null;
  worker_id: string | null;
  queue_job_id: string | null;
  cancel_requested_at: Timestamp | null;
  /** Set by transitions that also store a `system` log line. */
  log_line?: { seq: number; ts: string; stream: LogStream; text: string } | null;
  /** Set by `finish`: the attempt's last output lines it stored with the outcome. */
  stored_lines?: LogLineDto[];
}

/** A log line as a worker hands it over, before it has a `seq`. */
export interface NewLogLine {
  ts: string;
  stream: LogStream;
  text: string;
}

/** PostgreSQL formatting a timestamp exactly as `Date#toISOString` does (timestamps are stored to the millisecond). */
const isoSql = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export function toRunDto(row: RunRow): RunDto {
  const startedAt = iso(row.started_at);
  const finishedAt = iso(row.finished_at);
  return {
    id: row.id,
    jobId: row.job_id,
    jobName: row.job_name,
    status: row.status,
    params: row.params,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    progress: row.progress,
    queuedAt: iso(row.queued_at)!,
    startedAt,
    finishedAt,
    durationMs: startedAt && finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : null,
    result: row.result,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    trigger: {
      kind: row.trigger_kind,
      userId: row.trigger_user_id,
      ...(row.rerun_of ? { rerunOf: row.rerun_of } : {}),
    },
    logCount: row.log_count,
    version: row.version,
    timeoutSec: row.timeout_sec,
  };
}

/** The system line a transition stored, in the shape `run:log` carries. */
export function systemLineOf(row: RunRow): LogLineDto | null {
  const l = row.log_line;
  return l ? { seq: l.seq, ts: new Date(l.ts).toISOString(), stream: l.stream, text: l.text } : null;
}

/**
 * A batch of log lines as a statement parameter: a dollar-quoted JSON
 * constant. The ORM escapes a string parameter one character at a time
 * (about 120 ms, blocking the event loop, for a batch of 5,000 lines); a
 * dollar-quoted constant needs no escaping at all. Its tag is random and
 * absent from the text, so no line can end the constant early.
 */
function linesParam(lines: unknown[]) {
  const text = JSON.stringify(lines);
  let tag: string;
  do tag = `$jf${randomBytes(6).toString('hex')}$`;
  while (text.includes(tag));
  return raw(`${tag}${text}${tag}`);
}

/** The job columns every statement below returns with the run (notifications: so run changes need no second query). */
const JOB_COLUMNS = 'j.name as job_name, j.type as job_type, j.notifications as job_notifications';

const withJob = (cte: string) => `with r as (${cte}) select r.*, ${JOB_COLUMNS} from r join jobs j on j.id = r.job_id`;

/**
 * A state change that also stores one `system` log line, in one statement:
 * `set` and `where` apply to `runs`; the line gets the next `seq`.
 */
const transitionWithLine = (set: string, where: string) => `
  with r as (update runs set ${set}, version = version + 1, log_count = log_count + 1 where ${where} returning *),
  l as (insert into run_logs (run_id, seq, ts, stream, text)
        select r.id, r.log_count, now(), 'system', ? from r returning seq, ts, stream, text)
  select r.*, ${JOB_COLUMNS}, (select row_to_json(l) from l) as log_line
  from r join jobs j on j.id = r.job_id`;

export interface NewRun {
  jobId: string;
  params: Record<string, unknown>;
  maxAttempts: number;
  timeoutSec: number | null;
  trigger: TriggerDto;
}

export const runStore = {
  async create(sql: Sql, run: NewRun): Promise<RunRow> {
    const rows = await sql<RunRow>(
      withJob(`insert into runs (job_id, status, params, max_attempts, timeout_sec, trigger_kind, trigger_user_id, rerun_of)
               values (?, 'queued', ?::jsonb, ?, ?, ?, ?, ?) returning *`),
      [run.jobId, JSON.stringify(run.params), run.maxAttempts, run.timeoutSec, run.trigger.kind, run.trigger.userId, run.trigger.rerunOf ?? null],
    );
    return rows[0]!;
  },

  async get(sql: Sql, runId: string): Promise<RunRow | null> {
    const rows = await sql<RunRow>(`select r.*, ${JOB_COLUMNS} from runs r join jobs j on j.id = r.job_id where r.id = ?`, [runId]);
    return rows[0] ?? null;
  },

  /**
   * queued -> running for exactly this attempt. Jobs with `max_concurrent_runs`
   * are claimed under a per-job advisory lock so two workers cannot both take
   * the last free slot.
   */
  async claim(
    db: Db,
    runId: string,
    attempt: number,
    workerId: string,
    queueJobId: string,
  ): Promise<{ kind: 'claimed'; row: RunRow } | { kind: 'busy' } | { kind: 'unclaimable'; row: RunRow | null }> {
    const set = `status = 'running', started_at = coalesce(started_at, now()), worker_id = ?, queue_job_id = ?, version = version + 1, progress = null, not_before = null`;
    const rows = await db.sql<RunRow>(
      withJob(`update runs set ${set} where id = ? and attempt = ? and status = 'queued'
               and (select max_concurrent_runs from jobs where jobs.id = runs.job_id) is null returning *`),
      [workerId, queueJobId, runId, attempt],
    );
    if (rows[0]) return { kind: 'claimed', row: rows[0] };
    const current = await runStore.get(db.sql, runId);
    if (!current || current.status !== 'queued' || current.attempt !== attempt) return { kind: 'unclaimable', row: current };
    return db.tx(async (sql) => {
      await sql(`select pg_advisory_xact_lock(hashtext(?))`, [current.job_id]);
      const limited = await sql<RunRow>(
        withJob(`update runs set ${set} where id = ? and attempt = ? and status = 'queued'
                 and (select count(*) from runs o where o.job_id = runs.job_id and o.status = 'running')
                     < coalesce((select max_concurrent_runs from jobs where jobs.id = runs.job_id), 2147483647)
                 returning *`),
        [workerId, queueJobId, runId, attempt],
      );
      return limited[0] ? { kind: 'claimed' as const, row: limited[0] } : { kind: 'busy' as const };
    });
  },

  /**
   * Appends lines for the current attempt of a running run, in one statement.
   * Returns the stored lines, or null when the attempt is no longer current.
   */
  async appendLogs(sql: Sql, runId: string, attempt: number, lines: NewLogLine[]): Promise<LogLineDto[] | null> {
    if (lines.length === 0) return [];
    const rows = await sql<{ log_count: number }>(
      `with r as (update runs set log_count = log_count + ? where id = ? and attempt = ? and status = 'running' returning log_count),
       ins as (insert into run_logs (run_id, seq, ts, stream, text)
               select ?::uuid, r.log_count - ? + t.i, t.ts, t.stream, t.text
               from r, json_to_recordset(?::json) as t(i int, ts timestamptz, stream text, text text))
       select log_count from r`,
      [lines.length, runId, attempt, runId, lines.length, linesParam(lines.map((l, i) => ({ i: i + 1, ts: l.ts, stream: l.stream, text: l.text })))],
    );
    const end = rows[0]?.log_count;
    if (end === undefined) return null;
    const first = end - lines.length + 1;
    return lines.map((l, i) => ({ seq: first + i, ts: l.ts, stream: l.stream, text: l.text }));
  },

  async setProgress(sql: Sql, runId: string, attempt: number, progress: number): Promise<RunRow | null> {
    const rows = await sql<RunRow>(
      withJob(
        `update runs set progress = ?, version = version + 1 where id = ? and attempt = ? and status = 'running' and progress is distinct from ? returning *`,
      ),
      [progress, runId, attempt, progress],
    );
    return rows[0] ?? null;
  },

  /**
   * running -> succeeded | failed | cancelled for exactly this attempt; null
   * when it is no longer current. The attempt's last `lines` (output not yet
   * stored) and the optional system line are stored in the same statement,
   * after every earlier line: one round trip and one commit for the whole
   * ending. The returned row's `stored_lines` holds `lines` as stored.
   */
  async finish(
    sql: Sql,
    runId: string,
    attempt: number,
    outcome: {
      status: 'succeeded' | 'failed' | 'cancelled';
      result: Record<string, unknown> | null;
      error: { code: string; message: string } | null;
      systemLine?: string;
      lines?: NewLogLine[];
    },
  ): Promise<RunRow | null> {
    const set = `status = ?, finished_at = now(), result = ?::jsonb, error_code = ?, error_message = ?, worker_id = null,
                 progress = case when ? = 'succeeded' and progress is not null then 1 else progress end`;
    const params = [
      outcome.status,
      outcome.result === null ? null : JSON.stringify(outcome.result),
      outcome.error?.code ?? null,
      outcome.error?.message ?? null,
      outcome.status,
    ];
    const where = `id = ? and attempt = ? and status = 'running'`;
    const lines = outcome.lines ?? [];
    const all: { i: number; ts: string | null; stream: LogStream; text: string }[] = lines.map((l, i) => ({
      i: i + 1,
      ts: l.ts,
      stream: l.stream,
      text: l.text,
    }));
    if (outcome.systemLine) all.push({ i: all.length + 1, ts: null, stream: 'system', text: outcome.systemLine });
    if (all.length === 0) {
      const rows = await sql<RunRow>(withJob(`update runs set ${set}, version = version + 1 where ${where} returning *`), [...params, runId, attempt]);
      return rows[0] ?? null;
    }
    const n = all.length;
    const rows = await sql<RunRow>(
      `with r as (update runs set ${set}, version = version + 1, log_count = log_count + ${n} where ${where} returning *),
       l as (insert into run_logs (run_id, seq, ts, stream, text)
             select r.id, r.log_count - ${n} + t.i, coalesce(t.ts, now()), t.stream, t.text
             from r, json_to_recordset(?::json) as t(i int, ts timestamptz, stream text, text text)
             returning seq, ts, stream, text)
       select r.*, ${JOB_COLUMNS},
              (select row_to_json(l) from l where ?::boolean and l.seq = r.log_count) as log_line
       from r join jobs j on j.id = r.job_id`,
      [...params, runId, attempt, linesParam(all), Boolean(outcome.systemLine)],
    );
    const row = rows[0];
    if (!row) return null;
    const first = row.log_count - n + 1;
    row.stored_lines = lines.map((l, i) => ({ seq: first + i, ts: l.ts, stream: l.stream, text: l.text }));
    return row;
  },

  /**
   * An attempt ended in error: queue the next attempt after `backoffMs` while
   * attempts remain (running -> queued), else fail the run. Stores the
   * "attempt n of m after: ..." system line. Null when the attempt is not current.
   */
  async retryOrFail(
    sql: Sql,
    runId: string,
    attempt: number,
    error: { code: string; message: string },
    backoffMs: number,
    /** The attempt was interrupted through no fault of the run (worker shutdown): it does not use up an attempt. */
    isFreeAttempt = false,
  ): Promise<RunRow | null> {
    const grant = isFreeAttempt ? 1 : 0;
    const again = `attempt < max_attempts + ${grant}`;
    const set = `max_attempts = max_attempts + ${grant},
                 status = case when ${again} then 'queued' else 'failed' end,
                 not_before = case when ${again} then now() + ? * interval '1 millisecond' else null end,
                 finished_at = case when ${again} then null else now() end,
                 attempt = case when ${again} then attempt + 1 else attempt end,
                 error_code = ?, error_message = ?, worker_id = null, progress = null`;
    const rows = await sql<RunRow>(
      `with r as (update runs set ${set}, version = version + 1, log_count = log_count + 1
                  where id = ? and attempt = ? and status = 'running' returning *),
       l as (insert into run_logs (run_id, seq, ts, stream, text)
             select r.id, r.log_count, now(), 'system',
                    case when r.status = 'queued' then format('attempt %s of %s after: %s', r.attempt, r.max_attempts, ?::text)
                         else format('failed after %s of %s attempts: %s', r.attempt, r.max_attempts, ?::text) end
             from r returning seq, ts, stream, text)
       select r.*, ${JOB_COLUMNS}, (select row_to_json(l) from l) as log_line
       from r join jobs j on j.id = r.job_id`,
      [backoffMs, error.code, error.message, runId, attempt, `${error.code}: ${error.message}`, `${error.code}: ${error.message}`],
    );
    return rows[0] ?? null;
  },

  /** queued -> cancelled at once. Null when the run is not queued. */
  async cancelQueued(sql: Sql, runId: string, message: string): Promise<RunRow | null> {
    const rows = await sql<RunRow>(
      transitionWithLine(
        `status = 'cancelled', finished_at = now(), error_code = 'cancelled', error_message = ?, not_before = null`,
        `id = ? and status = 'queued'`,
      ),
      [message, runId, message],
    );
    return rows[0] ?? null;
  },

  /** Marks a running run for cancellation (not a change of its public state). */
  async requestCancel(sql: Sql, runId: string): Promise<RunRow | null> {
    const rows = await sql<RunRow>(
      withJob(`update runs set cancel_requested_at = coalesce(cancel_requested_at, now()) where id = ? and status = 'running' returning *`),
      [runId],
    );
    return rows[0] ?? null;
  },

  /**
   * running -> cancelled without the worker, for a cancel the worker did not
   * carry out in time; any later write of that attempt is refused.
   */
  async forceCancel(sql: Sql, runId: string, message: string): Promise<RunRow | null> {
    const rows = await sql<RunRow>(
      transitionWithLine(
        `status = 'cancelled', finished_at = now(), error_code = 'cancelled', error_message = ?, worker_id = null`,
        `id = ? and status = 'running' and cancel_requested_at is not null`,
      ),
      [message, runId, message],
    );
    return rows[0] ?? null;
  },

  /**
   * Lines with `seq > after`, ascending. PostgreSQL formats `ts` as the ISO
   * string the API sends (timestamps are stored to the millisecond), which
   * saves parsing and formatting a Date per line on long reads.
   */
  async logs(sql: Sql, runId: string, after: number, limit: number): Promise<LogLineDto[]> {
    return sql<LogLineDto>(
      `select seq, ${isoSql('ts')} as ts, stream, text
       from run_logs where run_id = ? and seq > ? order by seq limit ?`,
      [runId, after, limit],
    );
  },
};

import { randomUUID } from 'node:crypto';
import { findJobTypeInfo, jobTypeInfos, type LogLineDto, type LogStream, type RunDto, type RunStatus, type TriggerDto } from '@jobflow/shared';
import { type Db, type Sql, iso } from '../db';
import { maskParams } from '../platform';

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
  /** The run's params differ from its job's when it was queued (kept by a trigger). */
  params_changed?: boolean;
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

/** The run as the API shows it to anyone: secrets in its params masked (they are stored sealed). */
export function toRunDto(row: RunRow): RunDto {
  const startedAt = iso(row.started_at);
  const finishedAt = iso(row.finished_at);
  return {
    id: row.id,
    jobId: row.job_id,
    jobName: row.job_name,
    status: row.status,
    params: maskParams(row.params, row.job_type ? findJobTypeInfo(row.job_type) : undefined),
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
    paramsChanged: row.params_changed ?? false,
    retryAt: row.status === 'queued' && row.attempt > 1 ? iso(row.not_before) : null,
  };
}

/** The system line a transition stored, in the shape `run:log` carries. */
export function systemLineOf(row: RunRow): LogLineDto | null {
  const l = row.log_line;
  return l ? { seq: l.seq, ts: new Date(l.ts).toISOString(), stream: l.stream, text: l.text } : null;
}

/** The job columns every statement below returns with the run (notifications: so run changes need no second query). */
const JOB_COLUMNS = 'j.name as job_name, j.type as job_type, j.notifications as job_notifications';

/**
 * What claiming sets, besides the worker and the queue job. The start is the
 * statement's time, not the transaction's: a limited claim waits for its
 * job's lock first, and a start stamped before that wait could precede the
 * end of the run whose slot it took.
 */
const CLAIM_SET = `status = 'running', started_at = coalesce(started_at, statement_timestamp()), version = version + 1, progress = null, not_before = null`;

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

/** A worker taking one attempt of a run, delivered as Bee-Queue job `queueJobId`. */
export interface Claim {
  runId: string;
  attempt: number;
  workerId: string;
  queueJobId: string;
}

export type ClaimOutcome = { kind: 'claimed'; row: RunRow } | { kind: 'busy' } | { kind: 'unclaimable'; row: RunRow | null };

/** Lines for the current attempt of a running run. */
export interface LogAppend {
  runId: string;
  attempt: number;
  lines: NewLogLine[];
}

/** How an attempt ended, as `finish` stores it. */
export interface Ending {
  runId: string;
  attempt: number;
  status: 'succeeded' | 'failed' | 'cancelled';
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  systemLine?: string;
  lines?: NewLogLine[];
}

export interface NewRun {
  /** Chosen by the caller when it needs to know the id before the run is stored; a fresh UUID otherwise. */
  id?: string;
  jobId: string;
  /** Left out: the job's own params, max attempts and timeout, read in the same statement. */
  params?: Record<string, unknown>;
  maxAttempts?: number;
  timeoutSec?: number | null;
  trigger: TriggerDto;
}

/** Job types this build knows: a run is stored only for a job of one of them. */
const KNOWN_TYPES = JSON.stringify(Object.keys(jobTypeInfos));

/** Lines numbered 1, 2, ... within their batch (the statement adds the run's count before them). */
const numbered = (lines: NewLogLine[]) => lines.map((l, i) => ({ i: i + 1, ts: l.ts, stream: l.stream, text: l.text }));

/** Lines as stored, the first with `seq` = `first`. */
const storedFrom = (lines: NewLogLine[], first: number): LogLineDto[] => lines.map((l, i) => ({ seq: first + i, ts: l.ts, stream: l.stream, text: l.text }));

/** One row of a batched statement's input, as `json_to_recordset` reads it. */
const recordset = (rows: unknown[]) => JSON.stringify(rows);

export const runStore = {
  /**
   * Stores new queued runs in one statement, each with its job's defaults
   * where `NewRun` leaves them out. Returns one row per input, in order;
   * null where the job does not exist (or is of a type this build lacks).
   */
  async createMany(sql: Sql, runs: NewRun[]): Promise<(RunRow | null)[]> {
    const input = runs.map((r) => ({
      id: r.id ?? randomUUID(),
      job_id: r.jobId,
      params: r.params ?? null,
      max_attempts: r.maxAttempts ?? null,
      timeout_sec: r.timeoutSec ?? null,
      has_timeout: r.timeoutSec !== undefined,
      trigger_kind: r.trigger.kind,
      trigger_user_id: r.trigger.userId,
      rerun_of: r.trigger.rerunOf ?? null,
    }));
    const rows = await sql<RunRow>(
      withJob(`insert into runs (id, job_id, status, params, max_attempts, timeout_sec, trigger_kind, trigger_user_id, rerun_of)
               select t.id, j.id, 'queued', coalesce(t.params, j.params), coalesce(t.max_attempts, j.max_attempts),
                      case when t.has_timeout then t.timeout_sec else j.timeout_sec end, t.trigger_kind, t.trigger_user_id, t.rerun_of
               from json_to_recordset(?::json) as t(id uuid, job_id uuid, params jsonb, max_attempts int, timeout_sec int, has_timeout boolean,
                                                     trigger_kind text, trigger_user_id uuid, rerun_of uuid)
               join jobs j on j.id = t.job_id
               where j.type in (select json_array_elements_text(?::json))
               returning *`),
      [recordset(input), KNOWN_TYPES],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return input.map((r) => byId.get(r.id) ?? null);
  },

  async create(sql: Sql, run: NewRun): Promise<RunRow | null> {
    return (await runStore.createMany(sql, [run]))[0]!;
  },

  async get(sql: Sql, runId: string): Promise<RunRow | null> {
    const rows = await sql<RunRow>(`select r.*, ${JOB_COLUMNS} from runs r join jobs j on j.id = r.job_id where r.id = ?`, [runId]);
    return rows[0] ?? null;
  },

  /**
   * queued -> running for exactly these attempts, in one statement, for runs
   * of jobs without `max_concurrent_runs`. One row per input, in order; null
   * where the run was not claimed this way (see `claimLimited`).
   */
  async claimMany(sql: Sql, claims: Claim[]): Promise<(RunRow | null)[]> {
    const rows = await sql<RunRow>(
      withJob(`update runs set ${CLAIM_SET}, worker_id = t.worker_id, queue_job_id = t.queue_job_id
               from json_to_recordset(?::json) as t(id uuid, attempt int, worker_id text, queue_job_id text)
               where runs.id = t.id and runs.attempt = t.attempt and runs.status = 'queued'
                 and (select max_concurrent_runs from jobs where jobs.id = runs.job_id) is null
               returning runs.*`),
      [recordset(claims.map((c) => ({ id: c.runId, attempt: c.attempt, worker_id: c.workerId, queue_job_id: c.queueJobId })))],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return claims.map((c) => byId.get(c.runId) ?? null);
  },

  /**
   * The claim of a run `claimMany` did not take: its job has
   * `max_concurrent_runs` (claimed under a per-job advisory lock, so two
   * workers cannot both take the last free slot), or it is not claimable.
   */
  async claimLimited(db: Db, { runId, attempt, workerId, queueJobId }: Claim): Promise<ClaimOutcome> {
    const current = await runStore.get(db.sql, runId);
    if (!current || current.status !== 'queued' || current.attempt !== attempt) return { kind: 'unclaimable', row: current };
    return db.tx(async (sql) => {
      await sql(`select pg_advisory_xact_lock(hashtext(?))`, [current.job_id]);
      const limited = await sql<RunRow>(
        withJob(`update runs set ${CLAIM_SET}, worker_id = ?, queue_job_id = ? where id = ? and attempt = ? and status = 'queued'
                 and (select count(*) from runs o where o.job_id = runs.job_id and o.status = 'running')
                     < coalesce((select max_concurrent_runs from jobs where jobs.id = runs.job_id), 2147483647)
                 returning *`),
        [workerId, queueJobId, runId, attempt],
      );
      return limited[0] ? { kind: 'claimed' as const, row: limited[0] } : { kind: 'busy' as const };
    });
  },

  /**
   * Appends lines for the current attempts of running runs, in one
   * statement. One result per input, in order: the lines as stored, or null
   * when that attempt is no longer current.
   */
  async appendLogsMany(sql: Sql, appends: LogAppend[]): Promise<(LogLineDto[] | null)[]> {
    const input = appends.filter((a) => a.lines.length);
    const rows = input.length
      ? await sql<{ id: string; log_count: number }>(
          `with t as (select * from json_to_recordset(?::json) as t(id uuid, attempt int, n int, lines json)),
           r as (update runs set log_count = runs.log_count + t.n from t
                 where runs.id = t.id and runs.attempt = t.attempt and runs.status = 'running' returning runs.id, runs.log_count),
           ins as (insert into run_logs (run_id, seq, ts, stream, text)
                   select r.id, r.log_count - t.n + x.i, x.ts, x.stream, x.text
                   from r join t on t.id = r.id, json_to_recordset(t.lines) as x(i int, ts timestamptz, stream text, text text))
           select id, log_count from r`,
          [
            recordset(
              input.map((a) => ({
                id: a.runId,
                attempt: a.attempt,
                n: a.lines.length,
                lines: numbered(a.lines),
              })),
            ),
          ],
        )
      : [];
    const ends = new Map(rows.map((r) => [r.id, r.log_count]));
    return appends.map(({ runId, lines }) => {
      if (lines.length === 0) return [];
      const end = ends.get(runId);
      if (end === undefined) return null;
      return storedFrom(lines, end - lines.length + 1);
    });
  },

  async appendLogs(sql: Sql, runId: string, attempt: number, lines: NewLogLine[]): Promise<LogLineDto[] | null> {
    return (await runStore.appendLogsMany(sql, [{ runId, attempt, lines }]))[0]!;
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
   * running -> succeeded | failed | cancelled for exactly these attempts, in
   * one statement; one row per input, in order, null where the attempt is no
   * longer current. Each attempt's last `lines` (output not yet stored) and
   * optional system line are stored with its outcome, after every earlier
   * line: one round trip and one commit for many endings. A returned row's
   * `stored_lines` holds its `lines` as stored.
   */
  async finishMany(sql: Sql, endings: Ending[]): Promise<(RunRow | null)[]> {
    const input = endings.map((e) => {
      const lines: { i: number; ts: string | null; stream: LogStream; text: string }[] = numbered(e.lines ?? []);
      if (e.systemLine) lines.push({ i: lines.length + 1, ts: null, stream: 'system', text: e.systemLine });
      return {
        id: e.runId,
        attempt: e.attempt,
        status: e.status,
        result: e.result,
        error_code: e.error?.code ?? null,
        error_message: e.error?.message ?? null,
        n: lines.length,
        lines,
        has_system: Boolean(e.systemLine),
      };
    });
    const rows = await sql<RunRow>(
      `with t as (select * from json_to_recordset(?::json)
                  as t(id uuid, attempt int, status text, result jsonb, error_code text, error_message text, n int, lines json, has_system boolean)),
       r as (update runs set status = t.status, finished_at = now(), result = t.result, error_code = t.error_code, error_message = t.error_message,
                             worker_id = null, progress = case when t.status = 'succeeded' and runs.progress is not null then 1 else runs.progress end,
                             version = runs.version + 1, log_count = runs.log_count + t.n
             from t where runs.id = t.id and runs.attempt = t.attempt and runs.status = 'running'
             returning runs.*),
       l as (insert into run_logs (run_id, seq, ts, stream, text)
             select r.id, r.log_count - t.n + x.i, coalesce(x.ts, now()), x.stream, x.text
             from r join t on t.id = r.id, json_to_recordset(t.lines) as x(i int, ts timestamptz, stream text, text text)
             returning run_id, seq, ts, stream, text)
       select r.*, ${JOB_COLUMNS}, (select row_to_json(l) from l where l.run_id = r.id and l.seq = r.log_count and t.has_system) as log_line
       from r join t on t.id = r.id join jobs j on j.id = r.job_id`,
      [recordset(input)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return endings.map((e) => {
      const row = byId.get(e.runId);
      if (!row) return null;
      const lines = e.lines ?? [];
      const n = lines.length + (e.systemLine ? 1 : 0);
      const first = row.log_count - n + 1;
      row.stored_lines = storedFrom(lines, first);
      if (row.log_line) delete (row.log_line as { run_id?: string }).run_id;
      return row;
    });
  },

  async finish(sql: Sql, ending: Ending): Promise<RunRow | null> {
    return (await runStore.finishMany(sql, [ending]))[0]!;
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

import type { LogStream } from '@jobflow/shared';
import { defineStatement, type Sql } from '../../db';
import type { Ending, RunRow } from '../run-row';
import { JOB_COLUMNS, numbered, recordset, storedFrom } from './fragments';

const finishRunsStatement = defineStatement<RunRow, [endings: string]>(
  'finish_runs',
  `with t as (select * from json_to_recordset($1::json)
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
   select r.*, ${JOB_COLUMNS},
          (select json_build_object('seq', l.seq, 'ts', l.ts, 'stream', l.stream, 'text', l.text) from l
           where l.run_id = r.id and l.seq = r.log_count and t.has_system) as log_line
   from r join t on t.id = r.id join jobs j on j.id = r.job_id`,
);

/**
 * running -> succeeded | failed | cancelled for exactly these attempts, in
 * one statement; one row per input, in order, null where the attempt is no
 * longer current. Each attempt's last `lines` (output not yet stored) and
 * optional system line are stored with its outcome, after every earlier
 * line: one round trip and one commit for many endings. A returned row's
 * `stored_lines` holds its `lines` as stored, `log_line` its system line.
 */
export async function finishRuns(sql: Sql, endings: Ending[]): Promise<(RunRow | null)[]> {
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
  const rows = await sql(finishRunsStatement, [recordset(input)]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return endings.map((e) => {
    const row = byId.get(e.runId);
    if (!row) return null;
    const lines = e.lines ?? [];
    const n = lines.length + (e.systemLine ? 1 : 0);
    row.stored_lines = storedFrom(lines, row.log_count - n + 1);
    return row;
  });
}

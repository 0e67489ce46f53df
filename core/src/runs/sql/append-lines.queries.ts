import type { LogLineDto } from '@jobflow/shared';
import { defineStatement, type Sql } from '../../db';
import type { LogAppend } from '../run-row';
import { numbered, recordset, storedFrom } from './fragments';

const appendLinesStatement = defineStatement<{ id: string; log_count: number }, [appends: string]>(
  'append_lines',
  `with t as (select * from json_to_recordset($1::json) as t(id uuid, attempt int, n int, lines json)),
   r as (update runs set log_count = runs.log_count + t.n from t
         where runs.id = t.id and runs.attempt = t.attempt and runs.status = 'running' returning runs.id, runs.log_count),
   ins as (insert into run_logs (run_id, seq, ts, stream, text)
           select r.id, r.log_count - t.n + x.i, x.ts, x.stream, x.text
           from r join t on t.id = r.id, json_to_recordset(t.lines) as x(i int, ts timestamptz, stream text, text text))
   select id, log_count from r`,
);

/**
 * Appends lines for the current attempts of running runs, in one
 * statement; each run's lines take its next `seq`s. One result per input,
 * in order: the lines as stored, or null when that attempt is no longer current.
 */
export async function appendLines(sql: Sql, appends: LogAppend[]): Promise<(LogLineDto[] | null)[]> {
  const input = appends.filter((a) => a.lines.length);
  const rows = input.length
    ? await sql(appendLinesStatement, [recordset(input.map((a) => ({ id: a.runId, attempt: a.attempt, n: a.lines.length, lines: numbered(a.lines) })))])
    : [];
  const ends = new Map(rows.map((r) => [r.id, r.log_count]));
  return appends.map(({ runId, lines }) => {
    if (lines.length === 0) return [];
    const end = ends.get(runId);
    if (end === undefined) return null;
    return storedFrom(lines, end - lines.length + 1);
  });
}

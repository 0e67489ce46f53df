import type { RunStatus } from '@jobflow/shared';
import { defineStatement, type Sql, type Statement } from '../../db';
import type { RunRow } from '../run-row';
import { isoSql } from './fragments';

/** What a search of stored lines is narrowed by, besides the text. */
export interface LineSearchFilter {
  /** Part of a line, matched case-insensitively; `%`, `_` and `\` are literal. */
  q: string;
  jobId?: string;
  statuses?: RunStatus[];
  /** The line was written at or after. */
  since?: string;
  /** The line was written before. */
  until?: string;
}

/** Where a page of hits resumes: after the hit with this time, run and `seq` (newest first). */
export interface LineSearchAfter {
  ts: string;
  runId: string;
  seq: number;
}

/** A stored line that matched, with its run (and the run's job columns). */
export type LineHitRow = RunRow & { hit_seq: number; hit_ts: string; hit_text: string };

type Value = string | number | string[];

const FILTERS: { key: string; condition: string; values: (f: LineSearchFilter) => Value[] | null }[] = [
  { key: 'job', condition: 'r.job_id = $', values: (f) => (f.jobId ? [f.jobId] : null) },
  { key: 'status', condition: 'r.status = any($::text[])', values: (f) => (f.statuses?.length ? [f.statuses] : null) },
  { key: 'since', condition: 'l.ts >= $', values: (f) => (f.since ? [f.since] : null) },
  { key: 'until', condition: 'l.ts < $', values: (f) => (f.until ? [f.until] : null) },
];

/** `ilike` with the text taken literally: its `\`, `%` and `_` escaped. */
export const containsPattern = (q: string) => `%${q.replace(/[\\%_]/g, '\\$&')}%`;

const statements = new Map<string, Statement<LineHitRow, Value[]>>();

function statementFor(keys: string[], conditions: string[]): Statement<LineHitRow, Value[]> {
  const name = ['search_lines', ...keys].join('_');
  let statement = statements.get(name);
  if (!statement) {
    let n = 0;
    const numbered = conditions.map((c) => c.replace(/\$/g, () => `$${++n}`));
    // The trigram index finds the lines; runs and jobs are joined for the few that match.
    statement = defineStatement<LineHitRow, Value[]>(
      name,
      `select r.*, j.name as job_name, j.type as job_type, l.seq as hit_seq, ${isoSql('l.ts')} as hit_ts, l.text as hit_text
       from run_logs l join runs r on r.id = l.run_id join jobs j on j.id = r.job_id
       where ${numbered.join(' and ')}
       order by l.ts desc, l.run_id desc, l.seq desc limit $${++n}`,
    );
    statements.set(name, statement);
  }
  return statement;
}

/** Stored lines containing `filter.q`, newest first, after a keyset position. */
export function searchLines(sql: Sql, filter: LineSearchFilter, limit: number, after: LineSearchAfter | null): Promise<LineHitRow[]> {
  const keys: string[] = [];
  const conditions = ['l.text ilike $'];
  const params: Value[] = [containsPattern(filter.q)];
  for (const f of FILTERS) {
    const values = f.values(filter);
    if (!values) continue;
    keys.push(f.key);
    conditions.push(f.condition);
    params.push(...values);
  }
  if (after) {
    keys.push('after');
    conditions.push('(l.ts, l.run_id, l.seq) < ($::timestamptz, $::uuid, $::int)');
    params.push(after.ts, after.runId, after.seq);
  }
  return sql(statementFor(keys, conditions), [...params, limit]);
}

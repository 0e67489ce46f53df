import type { RunStatus, TriggerDto } from '@jobflow/shared';
import { defineStatement, type Sql, type Statement } from '../../db';
import type { RunSummaryRow } from '../run-row';

/** What a list of runs is narrowed by; every field is optional and they combine with "and". */
export interface RunListFilter {
  jobId?: string;
  statuses?: RunStatus[];
  /** The job's type. */
  type?: string;
  /** One of the job's tags. */
  tag?: string;
  trigger?: TriggerDto['kind'];
  /** Who started the run. */
  userId?: string;
  /** Queued at or after. */
  since?: string;
  /** Queued before. */
  until?: string;
  /** Finished at or after (e.g. "failed in the last 24 h"). */
  finishedSince?: string;
  /** Part of the job's name, or the start of the run's id. */
  q?: string;
}

type Value = string | number | string[];

/** Each filter: its key in the statement's name, its condition (`$` numbered in order) and its values. */
const FILTERS: { key: string; condition: string; values: (f: RunListFilter) => Value[] | null }[] = [
  { key: 'job', condition: 'r.job_id = $', values: (f) => (f.jobId ? [f.jobId] : null) },
  { key: 'status', condition: 'r.status = any($::text[])', values: (f) => (f.statuses?.length ? [f.statuses] : null) },
  { key: 'type', condition: 'j.type = $', values: (f) => (f.type ? [f.type] : null) },
  { key: 'tag', condition: 'j.tags @> array[$::text]', values: (f) => (f.tag ? [f.tag] : null) },
  { key: 'trigger', condition: 'r.trigger_kind = $', values: (f) => (f.trigger ? [f.trigger] : null) },
  { key: 'user', condition: 'r.trigger_user_id = $', values: (f) => (f.userId ? [f.userId] : null) },
  { key: 'since', condition: 'r.queued_at >= $', values: (f) => (f.since ? [f.since] : null) },
  { key: 'until', condition: 'r.queued_at < $', values: (f) => (f.until ? [f.until] : null) },
  { key: 'finished', condition: 'r.finished_at >= $', values: (f) => (f.finishedSince ? [f.finishedSince] : null) },
  {
    key: 'q',
    condition: '(j.name ilike $ or r.id::text like $)',
    values: (f) => (f.q ? [`%${f.q.replace(/[\\%_]/g, '\\$&')}%`, `${f.q.toLowerCase().replace(/[\\%_]/g, '')}%`] : null),
  },
];

/**
 * One statement per combination of filters in use, named after them
 * (`list_runs_job_status_after`...), so PostgreSQL plans each with the index
 * that fits it; defined the first time a combination is asked for.
 */
const statements = new Map<string, Statement<RunSummaryRow, Value[]>>();

/** Every column of `runs` but `params` and `result` (a run's params may be megabytes; a list shows neither). */
const SUMMARY_COLUMNS = [
  'id',
  'job_id',
  'status',
  'attempt',
  'max_attempts',
  'progress',
  'queued_at',
  'started_at',
  'finished_at',
  'error_code',
  'error_message',
  'trigger_kind',
  'trigger_user_id',
  'rerun_of',
  'log_count',
  'version',
  'timeout_sec',
  'not_before',
  'worker_id',
  'queue_job_id',
  'cancel_requested_at',
  'params_changed',
]
  .map((c) => `r.${c}`)
  .join(', ');

function statementFor(keys: string[], conditions: string[]): Statement<RunSummaryRow, Value[]> {
  const name = ['list_runs', ...keys].join('_');
  let statement = statements.get(name);
  if (!statement) {
    let n = 0;
    const numbered = conditions.map((c) => c.replace(/\$/g, () => `$${++n}`));
    statement = defineStatement<RunSummaryRow, Value[]>(
      name,
      `select ${SUMMARY_COLUMNS}, j.name as job_name, j.type as job_type from runs r join jobs j on j.id = r.job_id
       ${numbered.length ? 'where ' + numbered.join(' and ') : ''}
       order by r.queued_at desc, r.id desc limit $${++n}`,
    );
    statements.set(name, statement);
  }
  return statement;
}

/** Runs newest first, narrowed by `filter`, after a keyset cursor. */
export function listRuns(sql: Sql, filter: RunListFilter, limit: number, after: { at: string; id: string } | null): Promise<RunSummaryRow[]> {
  const keys: string[] = [];
  const conditions: string[] = [];
  const params: Value[] = [];
  for (const f of FILTERS) {
    const values = f.values(filter);
    if (!values) continue;
    keys.push(f.key);
    conditions.push(f.condition);
    params.push(...values);
  }
  if (after) {
    keys.push('after');
    conditions.push('(r.queued_at, r.id) < ($, $)');
    params.push(after.at, after.id);
  }
  return sql(statementFor(keys, conditions), [...params, limit]);
}

import type { RunStatus } from '@jobflow/shared';
import { defineStatement, type Sql, type Statement } from '../../db';
import type { RunRow } from '../run-row';

export interface RunFilter {
  jobId?: string;
  status?: RunStatus;
}

type ListParams = (string | number)[];

/**
 * One statement per combination of filters (job, status, keyset cursor), so
 * PostgreSQL plans each with the index that fits it: 8 texts, all named.
 */
const variants = new Map<string, Statement<RunRow, ListParams>>();
for (const byJob of [false, true]) {
  for (const byStatus of [false, true]) {
    for (const isAfter of [false, true]) {
      const conditions: string[] = [];
      let n = 0;
      if (byJob) conditions.push(`r.job_id = $${++n}`);
      if (byStatus) conditions.push(`r.status = $${++n}`);
      if (isAfter) conditions.push(`(r.queued_at, r.id) < ($${++n}, $${++n})`);
      const name = ['list_runs', byJob && 'job', byStatus && 'status', isAfter && 'after'].filter(Boolean).join('_');
      variants.set(
        name,
        defineStatement<RunRow, ListParams>(
          name,
          `select r.*, j.name as job_name from runs r join jobs j on j.id = r.job_id
           ${conditions.length ? 'where ' + conditions.join(' and ') : ''}
           order by r.queued_at desc, r.id desc limit $${++n}`,
        ),
      );
    }
  }
}

/** Runs newest first, optionally of one job and/or in one status, after a keyset cursor. */
export function listRuns(sql: Sql, filter: RunFilter, limit: number, after: { at: string; id: string } | null): Promise<RunRow[]> {
  const params: ListParams = [];
  if (filter.jobId) params.push(filter.jobId);
  if (filter.status) params.push(filter.status);
  if (after) params.push(after.at, after.id);
  params.push(limit);
  const name = ['list_runs', filter.jobId && 'job', filter.status && 'status', after && 'after'].filter(Boolean).join('_');
  return sql(variants.get(name)!, params);
}

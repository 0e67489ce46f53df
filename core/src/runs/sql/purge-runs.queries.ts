import { defineStatement, type Sql } from '../../db';

/**
 * Whether run `r` of job `j` may be purged, `$1` being `RUN_RETENTION_DAYS`
 * (null: no global limit): it is final, and it finished longer ago than the
 * global limit or its job's `keep_days`, or its job has `keep_runs` newer
 * runs (of any status). A run that is not final is never purged.
 */
export const PURGEABLE = `r.status in ('succeeded', 'failed', 'cancelled') and (
  ($1::int is not null and r.finished_at < now() - $1::int * interval '1 day')
  or (j.keep_days is not null and r.finished_at < now() - j.keep_days * interval '1 day')
  or (j.keep_runs is not null and exists (
        select 1 from runs n where n.job_id = r.job_id and (n.queued_at, n.id) > (r.queued_at, r.id) offset j.keep_runs - 1 limit 1)))`;

const purgeableRunsStatement = defineStatement<{ id: string }, [retentionDays: number | null, limit: number]>(
  'purgeable_runs',
  `select r.id from runs r join jobs j on j.id = r.job_id where ${PURGEABLE} limit $2`,
);

const deleteLinesStatement = defineStatement<{ deleted: number }, [runIds: string[], limit: number]>(
  'delete_purged_lines',
  `with d as (delete from run_logs where (run_id, seq, stored_at) in
                (select run_id, seq, stored_at from run_logs where run_id = any($1::uuid[]) limit $2) returning 1)
   select count(*)::int as deleted from d`,
);

const deleteRunsStatement = defineStatement<{ id: string }, [retentionDays: number | null, runIds: string[]]>(
  'delete_purged_runs',
  `delete from runs r using jobs j where j.id = r.job_id and r.id = any($2::uuid[]) and ${PURGEABLE} returning r.id`,
);

/** Up to `limit` runs that may be purged now. */
export async function findPurgeableRuns(sql: Sql, retentionDays: number | null, limit: number): Promise<string[]> {
  return (await sql(purgeableRunsStatement, [retentionDays, limit])).map((r) => r.id);
}

/** Deletes up to `limit` stored lines of these runs; how many. */
export async function deleteLinesOfRuns(sql: Sql, runIds: string[], limit: number): Promise<number> {
  const [row] = await sql(deleteLinesStatement, [runIds, limit]);
  return row?.deleted ?? 0;
}

/**
 * Deletes those of these runs that may still be purged (checked again: a job
 * may have been changed meanwhile), with what hangs on them (attempts,
 * deliveries, remaining lines); the ids deleted.
 */
export async function deletePurgeableRuns(sql: Sql, retentionDays: number | null, runIds: string[]): Promise<string[]> {
  return (await sql(deleteRunsStatement, [retentionDays, runIds])).map((r) => r.id);
}

import { defineStatement, type Sql } from '@jobflow/core/db';
import type { RunRow } from '@jobflow/core/runs';

/** What starting or cancelling a run needs of its job. */
export interface JobOfRun {
  id: string;
  type: string;
  params: Record<string, unknown>;
  maxAttempts: number;
  timeoutSec: number | null;
  ownerId: string;
  enabled: boolean;
}

const jobOfRunStatement = defineStatement<
  { id: string; type: string; params: Record<string, unknown>; max_attempts: number; timeout_sec: number | null; owner_id: string; enabled: boolean },
  [jobId: string]
>('get_job_of_run', `select id, type, params, max_attempts, timeout_sec, owner_id, enabled from jobs where id = $1`);

const lastRunsStatement = defineStatement<RunRow, [jobIds: string[]]>(
  'find_last_runs_of_jobs',
  `select r.*, j.name as job_name, j.type as job_type from jobs j
   cross join lateral (select * from runs where runs.job_id = j.id order by queued_at desc, id desc limit 1) r
   where j.id = any($1::uuid[])`,
);

const ownerNamesStatement = defineStatement<{ id: string; name: string; email: string }, [userIds: string[]]>(
  'find_job_owner_names',
  `select id, name, email from users where id = any($1::uuid[])`,
);

const deleteIdleJobStatement = defineStatement<{ id: string }, [jobId: string]>(
  'delete_idle_job',
  `delete from jobs where id = $1 and not exists (select 1 from runs where job_id = $1 and status in ('queued', 'running')) returning id`,
);

/**
 * The `jobs` statements MikroORM does not make: the hot reads (starting a
 * run reads only the fields it needs; a page of jobs reads the last run and
 * owner of every job at once) and the delete that must see the job's runs.
 */
export const jobQueries = {
  async jobOfRun(sql: Sql, jobId: string): Promise<JobOfRun | null> {
    const [row] = await sql(jobOfRunStatement, [jobId]);
    return row
      ? {
          id: row.id,
          type: row.type,
          params: row.params,
          maxAttempts: row.max_attempts,
          timeoutSec: row.timeout_sec,
          ownerId: row.owner_id,
          enabled: row.enabled,
        }
      : null;
  },

  /** The newest run of each job (jobs without runs are left out). */
  lastRuns: (sql: Sql, jobIds: string[]) => sql(lastRunsStatement, [jobIds]),

  ownerNames: (sql: Sql, userIds: string[]) => sql(ownerNamesStatement, [userIds]),

  /** Deletes the job only if no run of it is queued or running at that moment (one statement); false when it did not. */
  async deleteIdle(sql: Sql, jobId: string): Promise<boolean> {
    return (await sql(deleteIdleJobStatement, [jobId])).length > 0;
  },
};

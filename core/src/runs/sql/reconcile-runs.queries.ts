import { defineStatement, type Sql, type Timestamp } from '../../db';

const queuedSinceStatement = defineStatement<{ id: string; attempt: number; not_before: Timestamp | null }, [graceMs: number]>(
  'find_long_queued_runs',
  `select id, attempt, not_before from runs
   where status = 'queued' and coalesce(not_before, queued_at) < now() - $1 * interval '1 millisecond'
   order by queued_at limit 1000`,
);

const runningOnWorkersStatement = defineStatement<{ id: string; attempt: number; worker_id: string }, []>(
  'find_running_runs',
  `select id, attempt, worker_id from runs where status = 'running' and worker_id is not null limit 5000`,
);

/** Queued runs that have been due for more than `graceMs`: they should have been taken by now. */
export const findLongQueuedRuns = (sql: Sql, graceMs: number) => sql(queuedSinceStatement, [graceMs]);

/** Running runs and the workers that hold them. */
export const findRunningRuns = (sql: Sql) => sql(runningOnWorkersStatement, []);

import { defineStatement, type Sql, type Timestamp } from '../../db';

const activeCountsStatement = defineStatement<{ status: string; n: string }, []>(
  'count_active_runs',
  `select status, count(*) as n from runs where status in ('queued', 'running') group by status`,
);

const finishedPerHourStatement = defineStatement<{ hour: Timestamp; status: string; n: string }, [hours: number]>(
  'count_finished_runs_per_hour',
  `select date_trunc('hour', finished_at) as hour, status, count(*) as n from runs
   where finished_at >= date_trunc('hour', now()) - ($1 - 1) * interval '1 hour'
   group by 1, 2`,
);

/** Runs queued and running now, by status. */
export const countActiveRuns = (sql: Sql) => sql(activeCountsStatement, []);

/** Runs finished per hour and final status over the last `hours` hours (the current hour included). */
export const countFinishedPerHour = (sql: Sql, hours: number) => sql(finishedPerHourStatement, [hours]);

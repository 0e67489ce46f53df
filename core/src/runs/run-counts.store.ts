import type { Sql } from '../db';
import type { RunCounts } from '../platform';

/**
 * Runs queued, running and due, and the wait of the oldest due one, in one
 * statement over the partial indexes of active runs (cheap at any history size).
 */
export async function runCounts(sql: Sql): Promise<RunCounts> {
  const [row] = await sql<{ queued: string; running: string; due: string; oldest_due_age_sec: number | null }>(
    `select (select count(*) from runs where status = 'queued') as queued,
            (select count(*) from runs where status = 'running') as running,
            count(*) as due,
            extract(epoch from now() - min(coalesce(not_before, queued_at)))::float8 as oldest_due_age_sec
     from runs where status = 'queued' and coalesce(not_before, queued_at) <= now()`,
  );
  return {
    queued: Number(row?.queued ?? 0),
    running: Number(row?.running ?? 0),
    due: Number(row?.due ?? 0),
    oldestDueAgeSec: Math.max(0, row?.oldest_due_age_sec ?? 0),
  };
}

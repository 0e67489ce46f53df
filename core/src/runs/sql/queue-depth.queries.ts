import type { QueueDto } from '@jobflow/shared';
import { defineStatement, iso, type Sql, type Timestamp } from '../../db';

const queueDepthStatement = defineStatement<
  { job_id: string; job_name: string; queued: number; oldest: Timestamp; total: string; oldest_of_all: Timestamp },
  [maxJobs: number]
>(
  'queue_depth',
  `select r.job_id, j.name as job_name, count(*)::int as queued, min(r.queued_at) as oldest,
          sum(count(*)) over () as total, min(min(r.queued_at)) over () as oldest_of_all
     from runs r join jobs j on j.id = r.job_id
    where r.status = 'queued'
    group by r.job_id, j.name
    order by oldest, r.job_id
    limit $1`,
);

/**
 * Runs waiting in the queue now: how many and since when, in all and for
 * the `maxJobs` jobs whose oldest waiting run has waited longest.
 */
export async function queueDepth(sql: Sql, maxJobs: number): Promise<QueueDto> {
  const rows = await sql(queueDepthStatement, [maxJobs]);
  const first = rows[0];
  return {
    queued: first ? Number(first.total) : 0,
    oldestQueuedAt: first ? iso(first.oldest_of_all) : null,
    jobs: rows.map((r) => ({ jobId: r.job_id, jobName: r.job_name, queued: r.queued, oldestQueuedAt: iso(r.oldest)! })),
  };
}

import type { UpcomingDto } from '@jobflow/shared';
import { defineStatement, type Sql } from '../db';
import { localIso, nextDueAfter } from './schedule-times';

const activeSchedulesStatement = defineStatement<{ id: string; name: string; cron: string; timezone: string }, []>(
  'find_active_schedules',
  `select j.id, j.name, j.schedule_cron as cron, j.schedule_timezone as timezone
     from jobs j
    where j.schedule_cron is not null and j.schedule_timezone is not null and not j.schedule_paused and j.enabled`,
);

/**
 * The next `limit` due times across every active schedule (not paused, of an
 * enabled job: a disabled job never fires), soonest first
 * (one job may come several times). Each job's times are produced lazily,
 * so the cost is one cron step per job plus one per item.
 */
export async function upcomingDueTimes(sql: Sql, after: Date, limit: number): Promise<UpcomingDto> {
  const jobs = await sql(activeSchedulesStatement, []);
  type Head = { job: (typeof jobs)[number]; at: Date };
  const heads: Head[] = [];
  for (const job of jobs) {
    const at = nextDueAfter(job.cron, job.timezone, after);
    if (at) heads.push({ job, at });
  }
  const soonestFirst = (a: Head, b: Head) => a.at.getTime() - b.at.getTime() || (a.job.name < b.job.name ? -1 : a.job.name > b.job.name ? 1 : 0);
  heads.sort(soonestFirst);
  const items: UpcomingDto['items'] = [];
  while (items.length < limit && heads.length) {
    const head = heads.shift()!;
    const { job, at } = head;
    items.push({ jobId: job.id, jobName: job.name, at: at.toISOString(), local: localIso(at, job.timezone), timezone: job.timezone, cron: job.cron });
    const next = nextDueAfter(job.cron, job.timezone, at);
    if (!next) continue;
    const entry = { job, at: next };
    // Keeps `heads` sorted: insert after every head due no later.
    let i = heads.findIndex((h) => soonestFirst(entry, h) < 0);
    if (i < 0) i = heads.length;
    heads.splice(i, 0, entry);
  }
  return { items };
}

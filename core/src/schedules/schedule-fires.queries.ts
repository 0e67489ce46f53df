import type { ScheduleFireDto, SchedulePolicyDto } from '@jobflow/shared';
import { defineStatement, iso, type Sql, type Timestamp } from '../db';
import type { RunTransaction } from '../runs';

export type FireOutcome = ScheduleFireDto['outcome'];

/** A job whose schedule is active, with where its due times stand. */
export interface ScheduledJob {
  id: string;
  cron: string;
  timezone: string;
  overlap: SchedulePolicyDto['overlap'];
  missed: SchedulePolicyDto['missed'];
  since: Date | null;
  /** The latest due time recorded, whatever its outcome. */
  lastDue: Date | null;
}

/** What to do with one due time; `run` ones start a run unless the overlap policy says skip. */
export type PlannedFire = { dueAt: Date; outcome: 'missed' } | { dueAt: Date; outcome: 'started' | 'caught-up' };

export interface FireRow {
  id: string;
  job_id: string;
  due_at: Timestamp;
  outcome: FireOutcome;
  run_id: string | null;
  run_status: ScheduleFireDto['runStatus'];
  created_at: Timestamp;
}

export const toScheduleFireDto = (row: FireRow): ScheduleFireDto => ({
  id: row.id,
  jobId: row.job_id,
  dueAt: iso(row.due_at)!,
  outcome: row.outcome,
  runId: row.run_id,
  runStatus: row.run_status,
  createdAt: iso(row.created_at)!,
});

const toDate = (t: Timestamp | null): Date | null => (t == null ? null : new Date(t));
const sameTime = (a: Timestamp | null, b: Timestamp | null) => (a == null || b == null ? a == b : new Date(a).getTime() === new Date(b).getTime());

const scheduledJobsStatement = defineStatement<
  {
    id: string;
    cron: string;
    timezone: string;
    overlap: ScheduledJob['overlap'];
    missed: ScheduledJob['missed'];
    since: Timestamp | null;
    last_due: Timestamp | null;
  },
  []
>(
  'find_scheduled_jobs',
  `select j.id, j.schedule_cron as cron, j.schedule_timezone as timezone, j.schedule_overlap as overlap, j.schedule_missed as missed,
          j.schedule_since as since, (select max(f.due_at) from schedule_fires f where f.job_id = j.id) as last_due
   from jobs j
   where j.schedule_cron is not null and j.schedule_timezone is not null and not j.schedule_paused and j.enabled`,
);

const lockScheduledJobStatement = defineStatement<
  {
    schedule_cron: string | null;
    schedule_timezone: string | null;
    schedule_paused: boolean;
    enabled: boolean;
    schedule_since: Timestamp | null;
    schedule_overlap: string;
    schedule_missed: string;
    params: Record<string, unknown>;
    max_attempts: number;
    timeout_sec: number | null;
    owner_disabled: boolean | null;
  },
  [jobId: string]
>(
  'lock_scheduled_job',
  `select schedule_cron, schedule_timezone, schedule_paused, enabled, schedule_since, schedule_overlap, schedule_missed, params, max_attempts, timeout_sec,
          (select u.disabled from users u where u.id = jobs.owner_id) as owner_disabled
   from jobs where id = $1 for update`,
);

const recordManyStatement = defineStatement<{ recorded: number }, [jobId: string, dueTimes: string, outcome: FireOutcome]>(
  'record_fires',
  `insert into schedule_fires (job_id, due_at, outcome) select $1, unnest($2::timestamptz[]), $3 on conflict do nothing returning 1 as recorded`,
);

const hasActiveRunStatement = defineStatement<{ active: number }, [jobId: string]>(
  'find_active_run_of_job',
  `select 1 as active from runs where job_id = $1 and status in ('queued', 'running') limit 1`,
);

const recordFireStatement = defineStatement<{ id: string }, [jobId: string, dueAt: Date, outcome: FireOutcome]>(
  'record_fire',
  `insert into schedule_fires (job_id, due_at, outcome) values ($1, $2, $3) on conflict do nothing returning id`,
);

const linkFireStatement = defineStatement<{ id: string }, [runId: string, fireId: string]>(
  'link_fire_to_run',
  `update schedule_fires set run_id = $1 where id = $2 returning id`,
);

const pruneStatement = defineStatement<{ pruned: number }, [keepDays: number, limit: number]>(
  'prune_fires',
  `with old as (select f.id from schedule_fires f
                where f.due_at < now() - $1 * interval '1 day'
                  and exists (select 1 from schedule_fires n where n.job_id = f.job_id and n.due_at > f.due_at)
                limit $2 for update skip locked)
   delete from schedule_fires where id in (select id from old) returning 1 as pruned`,
);

const FIRE_COLUMNS = 'f.id, f.job_id, f.due_at, f.outcome, f.run_id, r.status as run_status, f.created_at';

const listFiresStatement = defineStatement<FireRow, [jobId: string, limit: number]>(
  'list_fires',
  `select ${FIRE_COLUMNS} from schedule_fires f left join runs r on r.id = f.run_id
   where f.job_id = $1 order by f.due_at desc, f.id desc limit $2`,
);

const listFiresAfterStatement = defineStatement<FireRow, [jobId: string, limit: number, at: string, id: string]>(
  'list_fires_after',
  `select ${FIRE_COLUMNS} from schedule_fires f left join runs r on r.id = f.run_id
   where f.job_id = $1 and (f.due_at, f.id) < ($3, $4) order by f.due_at desc, f.id desc limit $2`,
);

/**
 * The `schedule_fires` table: one row per (job, due time), whatever became of
 * it. The unique key on (job_id, due_at) is what makes a second run for one
 * due time impossible, however many schedulers race for it; the row and its
 * run are written in one transaction, so neither exists without the other.
 */
export const fireStore = {
  /** Jobs with an active schedule (set, not paused, the job enabled). */
  async scheduledJobs(sql: Sql): Promise<ScheduledJob[]> {
    const rows = await sql(scheduledJobsStatement, []);
    return rows.map((r) => ({
      id: r.id,
      cron: r.cron,
      timezone: r.timezone,
      overlap: r.overlap,
      missed: r.missed,
      since: toDate(r.since),
      lastDue: toDate(r.last_due),
    }));
  },

  /**
   * Records `plan` for `job` in the run engine's transaction `tx`, under the
   * job row's lock: `missed` rows as they are; each `started`/`caught-up` due
   * time either becomes `skipped-overlap` (policy `skip` and a run of the job
   * is queued or running) or gets its row and its new queued run together;
   * while the job's owner is disabled, every due time is `paused-owner-disabled`.
   * Due times already recorded (by another scheduler) are left alone; the
   * runs created are announced and queued by the engine once committed.
   * Returns the outcomes recorded, or `changed` when the schedule is no
   * longer the one the plan was made for (paused, edited).
   */
  async record(tx: RunTransaction, job: ScheduledJob, plan: PlannedFire[]): Promise<{ kind: 'recorded'; outcomes: FireOutcome[] } | { kind: 'changed' }> {
    const { sql } = tx;
    const [j] = await sql(lockScheduledJobStatement, [job.id]);
    if (
      !j ||
      j.schedule_paused ||
      !j.enabled ||
      j.schedule_cron !== job.cron ||
      j.schedule_timezone !== job.timezone ||
      j.schedule_overlap !== job.overlap ||
      j.schedule_missed !== job.missed ||
      !sameTime(j.schedule_since, job.since)
    ) {
      return { kind: 'changed' };
    }

    const outcomes: FireOutcome[] = [];
    const recordAll = async (dueTimes: Date[], outcome: FireOutcome) => {
      const rows = await sql(recordManyStatement, [job.id, `{${dueTimes.map((d) => d.toISOString()).join(',')}}`, outcome]);
      for (let i = 0; i < rows.length; i++) outcomes.push(outcome);
    };
    // A disabled user's schedules start nothing: each due time is recorded as paused, so the history says why.
    if (j.owner_disabled) {
      await recordAll(
        plan.map((p) => p.dueAt),
        'paused-owner-disabled',
      );
      return { kind: 'recorded', outcomes };
    }
    const missed = plan.filter((p) => p.outcome === 'missed').map((p) => p.dueAt);
    if (missed.length) await recordAll(missed, 'missed');

    for (const p of plan) {
      if (p.outcome === 'missed') continue;
      if (job.overlap === 'skip' && (await sql(hasActiveRunStatement, [job.id])).length) {
        if ((await sql(recordFireStatement, [job.id, p.dueAt, 'skipped-overlap'])).length) outcomes.push('skipped-overlap');
        continue;
      }
      const [fire] = await sql(recordFireStatement, [job.id, p.dueAt, p.outcome]);
      if (!fire) continue;
      const run = await tx.createRun({
        jobId: job.id,
        params: j.params,
        maxAttempts: j.max_attempts,
        timeoutSec: j.timeout_sec,
        trigger: { kind: 'schedule', userId: null },
      });
      // The job is locked by this transaction, so it still exists: a missing row is a bug, not a race.
      if (!run) throw new Error(`could not store a scheduled run of job ${job.id}`);
      await sql(linkFireStatement, [run.id, fire.id]);
      outcomes.push(p.outcome);
    }
    return { kind: 'recorded', outcomes };
  },

  /**
   * Deletes up to `limit` due times older than `keepDays` days, never a job's
   * latest one (it is where the scheduler resumes). Rows another process is
   * deleting at the same moment are skipped. Returns how many went.
   */
  async prune(sql: Sql, keepDays: number, limit: number): Promise<number> {
    return (await sql(pruneStatement, [keepDays, limit])).length;
  },

  /** A job's due times, latest first, keyset-paginated on (due_at, id). */
  list(sql: Sql, jobId: string, limit: number, after: { at: string; id: string } | null): Promise<FireRow[]> {
    return after ? sql(listFiresAfterStatement, [jobId, limit, after.at, after.id]) : sql(listFiresStatement, [jobId, limit]);
  },
};

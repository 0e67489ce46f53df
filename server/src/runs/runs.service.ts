import {
  ApiError,
  isFinalStatus,
  type RunAttemptDto,
  type RunDto,
  type RunStatsDto,
  type RunStatus,
  type StartRunBody,
  type TriggerDto,
} from '@jobflow/shared';
import { isUuid } from '@jobflow/core/db';
import { redisKeys, sealParams } from '@jobflow/core/platform';
import { dequeueRun } from '@jobflow/core/queue';
import { runStore, toRunDto, type RunRow } from '@jobflow/core/runs';
import type { AppDeps } from '../deps';
import { authorize } from '../auth/access-policy';
import type { Principal } from '../auth/authenticate';
import { checkParams, checkTypeAccess, jobTypeOrThrow } from '../jobs/job-rules';
import type { JobsService } from '../jobs/jobs.service';

const ENQUEUE_WAIT_MS = 2000;

/** A run's params: as a client gave them (replacing stored ones), or as stored for an earlier run. */
type RunParams = { kind: 'given'; params: Record<string, unknown>; replacing: Record<string, unknown> } | { kind: 'stored'; params: Record<string, unknown> };

/** What `GET /api/runs` narrows the list by; every field is optional and they combine with "and". */
export interface RunListFilter {
  jobId?: string;
  statuses?: RunStatus[];
  /** The job's type. */
  type?: string;
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

/** What starting or cancelling a run needs of its job. */
interface JobOfRun {
  id: string;
  type: string;
  params: Record<string, unknown>;
  maxAttempts: number;
  timeoutSec: number | null;
  ownerId: string;
}

/**
 * Runs as the API sees them: start, list, read, cancel. State moves go
 * through the shared run store. Starting a run reads only the job fields it
 * needs, in one plain statement (it is the hottest path of the API).
 */
export function createRunsService(deps: AppDeps, _jobs: JobsService) {
  const { db, redis, queue, lifecycle, config, log, keyring } = deps;
  const keys = redisKeys(config.redisPrefix);

  async function jobOrThrow(id: string): Promise<JobOfRun> {
    const rows = isUuid(id)
      ? await db.sql<{ id: string; type: string; params: Record<string, unknown>; max_attempts: number; timeout_sec: number | null; owner_id: string }>(
          `select id, type, params, max_attempts, timeout_sec, owner_id from jobs where id = ?`,
          [id],
        )
      : [];
    const row = rows[0];
    if (!row) throw new ApiError('not_found', 'No such job.');
    return { id: row.id, type: row.type, params: row.params, maxAttempts: row.max_attempts, timeoutSec: row.timeout_sec, ownerId: row.owner_id };
  }

  async function findOrThrow(id: string): Promise<RunRow> {
    const row = isUuid(id) ? await runStore.get(db.sql, id) : null;
    if (!row) throw new ApiError('not_found', 'No such run.');
    return row;
  }

  /**
   * Stores a queued run and puts it on the queue. PostgreSQL is the source of
   * truth: if Redis is slow or down, the run is already stored and the
   * reconciler enqueues it when Redis is back. `job` is null when the caller
   * passes no params: the job's own params, attempts and timeout are then
   * read by the statement that stores the run (they were validated when the
   * job was saved), so starting a run costs one statement.
   */
  async function start(
    jobId: string,
    job: JobOfRun | null,
    body: StartRunBody,
    who: Principal,
    trigger: Omit<TriggerDto, 'userId'>,
    params?: RunParams,
  ): Promise<RunDto> {
    let stored: Record<string, unknown> | undefined;
    if (job && params) {
      const info = jobTypeOrThrow(job.type);
      if (params.kind === 'given') {
        checkTypeAccess(info, who, 'runs.startWithAdminOnlyParams');
        checkParams(info, params.params);
        // Masked secrets sent back resolve to the ones they replace, for those who may edit the job:
        // anyone else could otherwise send the job's secrets to a destination of their choosing.
        const sealed = sealParams(info, params.params, keyring, { stored: params.replacing, mayReuse: who.role === 'admin' || who.id === job.ownerId });
        if (sealed.problems.length) throw new ApiError('validation_failed', `The params do not match the "${info.type}" job type's schema.`, sealed.problems);
        stored = sealed.params;
      } else {
        // Params as stored for an earlier run: already sealed and validated (the worker checks them again).
        stored = params.params;
      }
    }
    const started = await lifecycle.start({
      jobId,
      params: stored,
      maxAttempts: job?.maxAttempts,
      timeoutSec: body.timeoutSec !== undefined ? body.timeoutSec : job?.timeoutSec,
      trigger: { ...trigger, userId: who.id },
    });
    if (!started) {
      // No such job, or one of a type this build lacks: say which.
      const found = job ?? (await jobOrThrow(jobId));
      jobTypeOrThrow(found.type);
      throw new ApiError('not_found', 'No such job.');
    }
    const { run, enqueued } = started;
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), ENQUEUE_WAIT_MS)));
    const outcome = await Promise.race([enqueued, slow])
      .catch((e) => log.warn('enqueue failed; the reconciler will enqueue the run', { runId: run.id, error: e }))
      .finally(() => clearTimeout(timer));
    if (outcome === 'slow') enqueued.catch((e) => log.warn('enqueue failed; the reconciler will enqueue the run', { runId: run.id, error: e }));
    return run;
  }

  return {
    findOrThrow,

    async startForJob(jobId: string, body: StartRunBody, who: Principal): Promise<RunDto> {
      const trigger = { kind: who.tokenId ? ('api' as const) : ('manual' as const) };
      if (body.params === undefined) {
        if (!isUuid(jobId)) throw new ApiError('not_found', 'No such job.');
        return start(jobId, null, body, who, trigger);
      }
      const job = await jobOrThrow(jobId);
      return start(jobId, job, body, who, trigger, { kind: 'given', params: body.params, replacing: job.params });
    },

    async rerun(runId: string, body: StartRunBody, who: Principal): Promise<RunDto> {
      const old = await findOrThrow(runId);
      const job = await jobOrThrow(old.job_id);
      const params: RunParams =
        body.params === undefined ? { kind: 'stored', params: old.params } : { kind: 'given', params: body.params, replacing: old.params };
      return start(job.id, job, body, who, { kind: 'rerun', rerunOf: old.id }, params);
    },

    async list(filter: RunListFilter, limit: number, after: { at: string; id: string } | null): Promise<RunRow[]> {
      const conditions: string[] = [];
      const params: unknown[] = [];
      const add = (condition: string, ...values: unknown[]) => {
        conditions.push(condition);
        params.push(...values);
      };
      if (filter.jobId) add('r.job_id = ?', filter.jobId);
      if (filter.statuses?.length) add(`r.status in (${filter.statuses.map(() => '?').join(', ')})`, ...filter.statuses);
      if (filter.type) add('j.type = ?', filter.type);
      if (filter.trigger) add('r.trigger_kind = ?', filter.trigger);
      if (filter.userId) add('r.trigger_user_id = ?', filter.userId);
      if (filter.since) add('r.queued_at >= ?', filter.since);
      if (filter.until) add('r.queued_at < ?', filter.until);
      if (filter.finishedSince) add('r.finished_at >= ?', filter.finishedSince);
      if (filter.q) {
        const like = `%${filter.q.replace(/[\\%_]/g, '\\$&')}%`;
        add(`(j.name ilike ? or r.id::text like ?)`, like, `${filter.q.toLowerCase().replace(/[\\%_]/g, '')}%`);
      }
      if (after) add('(r.queued_at, r.id) < (?, ?)', after.at, after.id);
      return db.sql<RunRow>(
        `select r.*, j.name as job_name, j.type as job_type from runs r join jobs j on j.id = r.job_id
         ${conditions.length ? 'where ' + conditions.join(' and ') : ''}
         order by r.queued_at desc, r.id desc limit ?`,
        [...params, limit],
      );
    },

    /** Every attempt of a run, oldest first. */
    async attempts(runId: string): Promise<RunAttemptDto[]> {
      await findOrThrow(runId);
      const rows = await db.sql<{
        attempt: number;
        worker_id: string | null;
        started_at: Date | string;
        finished_at: Date | string | null;
        outcome: RunAttemptDto['outcome'];
        error_code: string | null;
        error_message: string | null;
      }>(`select * from run_attempts where run_id = ? order by attempt`, [runId]);
      return rows.map((r) => ({
        attempt: r.attempt,
        workerId: r.worker_id,
        startedAt: new Date(r.started_at).toISOString(),
        finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
        outcome: r.outcome,
        error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
      }));
    },

    /**
     * A queued run is cancelled at once; a running one is marked, its worker is
     * told to abort, and if it has not finished the run in time the run is
     * cancelled without it (its later writes are refused).
     */
    async cancel(runId: string, who: Principal): Promise<RunDto> {
      const row = await findOrThrow(runId);
      if (isFinalStatus(row.status)) throw new ApiError('conflict', `The run is already ${row.status}.`);
      const job = await jobOrThrow(row.job_id);
      authorize(who, 'runs.cancel', { jobOwnerId: job.ownerId, runStarterId: row.trigger_user_id });
      const message = `Cancelled by ${who.email}`;
      const cancelled = await runStore.cancelQueued(db.sql, runId, message);
      if (cancelled) {
        dequeueRun(queue, runId, cancelled.attempt).catch((e) => log.warn('could not remove a cancelled run from the queue', { runId, error: e }));
        return lifecycle.publish(cancelled);
      }
      const marked = await runStore.requestCancel(db.sql, runId);
      if (!marked) {
        const now = await findOrThrow(runId);
        if (isFinalStatus(now.status)) throw new ApiError('conflict', `The run is already ${now.status}.`);
        return toRunDto(now);
      }
      await redis.publish(keys.cancelChannel, JSON.stringify({ runId, attempt: marked.attempt, message }));
      setTimeout(() => {
        runStore
          .forceCancel(db.sql, runId, `${message} (the worker did not stop in time)`)
          .then((row) => row && lifecycle.publish(row))
          .catch((e) => log.warn('could not force a cancel; the reconciler will', { runId, error: e }));
      }, config.cancelGraceMs).unref();
      return toRunDto(marked);
    },

    logs: (runId: string, after: number, limit: number) => runStore.logs(db.sql, runId, after, limit),

    /** Counts for the dashboard: active runs now, and finished runs per hour over the last `hours` hours. */
    async stats(hours: number): Promise<RunStatsDto> {
      const [active, hourly] = await Promise.all([
        db.sql<{ status: string; n: string }>(`select status, count(*) as n from runs where status in ('queued', 'running') group by status`),
        db.sql<{ hour: string | Date; status: string; n: string }>(
          `select date_trunc('hour', finished_at) as hour, status, count(*) as n from runs
           where finished_at >= date_trunc('hour', now()) - (? - 1) * interval '1 hour'
           group by 1, 2`,
          [hours],
        ),
      ]);
      const now = new Date();
      now.setUTCMinutes(0, 0, 0);
      const buckets = Array.from({ length: hours }, (_, i) => ({
        hour: new Date(now.getTime() - (hours - 1 - i) * 3600_000).toISOString(),
        succeeded: 0,
        failed: 0,
        cancelled: 0,
      }));
      const byHour = new Map(buckets.map((b) => [b.hour, b]));
      const finished = { succeeded: 0, failed: 0, cancelled: 0 };
      for (const row of hourly) {
        const bucket = byHour.get(new Date(row.hour).toISOString());
        const status = row.status as keyof typeof finished;
        if (!bucket || !(status in finished)) continue;
        bucket[status] += Number(row.n);
        finished[status] += Number(row.n);
      }
      const count = (status: string) => Number(active.find((r) => r.status === status)?.n ?? 0);
      return { since: buckets[0]!.hour, active: { queued: count('queued'), running: count('running') }, finished, hourly: buckets };
    },
  };
}

export type RunsService = ReturnType<typeof createRunsService>;

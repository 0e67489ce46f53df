import {
  ApiError,
  artifactNameProblem,
  isFinalStatus,
  type ArtifactDto,
  type JobStorageDto,
  type LogLineDto,
  type RunAttemptDto,
  type RunDto,
  type RunStatsDto,
  type StartRunBody,
  type TriggerDto,
} from '@jobflow/shared';
import type { ArtifactRow } from '@jobflow/core/artifacts';
import { isUuid } from '@jobflow/core/db';
import { sealParams } from '@jobflow/core/platform';
import type { RunListFilter, RunRow } from '@jobflow/core/runs';
import type { AppDeps } from '../deps';
import { authorize } from '../auth/access-policy';
import type { Principal } from '../auth/authenticate';
import { checkParams, checkTypeAccess, jobTypeOrThrow } from '../jobs/job-rules';
import { jobQueries, type JobOfRun } from '../jobs/jobs.queries';

const ENQUEUE_WAIT_MS = 2000;
/** Lines read per statement when a whole log is streamed. */
const LINES_PAGE = 5000;

/** A run's params: as a client gave them (replacing stored ones), or as stored for an earlier run. */
type RunParams = { kind: 'given'; params: Record<string, unknown>; replacing: Record<string, unknown> } | { kind: 'stored'; params: Record<string, unknown> };

export type { RunListFilter };

/**
 * Runs as the API sees them: start, list, read, cancel. Every change goes
 * through the run engine. Starting a run reads only the job fields it needs,
 * in one plain statement (it is the hottest path of the API).
 */
export function createRunsService(deps: AppDeps) {
  const { db, runs, keyring } = deps;

  async function jobOrThrow(id: string): Promise<JobOfRun> {
    const job = isUuid(id) ? await jobQueries.jobOfRun(db.sql, id) : null;
    if (!job) throw new ApiError('not_found', 'No such job.');
    return job;
  }

  const checkEnabled = (job: JobOfRun): void => {
    if (!job.enabled) throw new ApiError('job_disabled', 'The job is disabled; enable it to run it.');
  };

  async function findOrThrow(id: string): Promise<RunRow> {
    const row = isUuid(id) ? await runs.get(id) : null;
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
    if (job) checkEnabled(job);
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
    const started = await runs.start({
      jobId,
      params: stored,
      maxAttempts: job?.maxAttempts,
      timeoutSec: body.timeoutSec !== undefined ? body.timeoutSec : job?.timeoutSec,
      trigger: { ...trigger, userId: who.id },
    });
    if (!started) {
      // No such job, a disabled one, or one of a type this build lacks: say which.
      const found = job ?? (await jobOrThrow(jobId));
      checkEnabled(found);
      jobTypeOrThrow(found.type);
      throw new ApiError('not_found', 'No such job.');
    }
    // Answer once Redis has the run, or after ENQUEUE_WAIT_MS: the run is stored either way, and a reconciler queues it if Redis could not.
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<void>((resolve) => (timer = setTimeout(resolve, ENQUEUE_WAIT_MS)));
    await Promise.race([started.enqueued, slow]).finally(() => clearTimeout(timer));
    return started.run;
  }

  return {
    findOrThrow,

    /** What one job's runs hold in the database. */
    storageOf: (jobId: string): Promise<JobStorageDto> => runs.jobStorage(jobId),

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

    list: (filter: RunListFilter, limit: number, after: { at: string; id: string } | null) => runs.list(filter, limit, after),

    /** Every attempt of a run, oldest first. */
    async attempts(runId: string): Promise<RunAttemptDto[]> {
      await findOrThrow(runId);
      return runs.attempts(runId);
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
      const outcome = await runs.cancel(runId, `Cancelled by ${who.email}`);
      switch (outcome.kind) {
        case 'missing':
          throw new ApiError('not_found', 'No such run.');
        case 'unchanged':
          if (isFinalStatus(outcome.run.status)) throw new ApiError('conflict', `The run is already ${outcome.run.status}.`);
          return outcome.run;
        case 'cancelled':
        case 'requested':
          return outcome.run;
      }
    },

    logs: (runId: string, after: number, limit: number) => runs.lines(runId, after, limit),

    /** Every line of a run, in `seq` order, read a page at a time as the caller consumes them. */
    async *allLines(runId: string): AsyncGenerator<LogLineDto[]> {
      for (let after = 0; ;) {
        const page = await runs.lines(runId, after, LINES_PAGE);
        if (page.length === 0) return;
        yield page;
        after = page[page.length - 1]!.seq;
      }
    },

    /** The artifacts of a run that exists. */
    async artifacts(runId: string): Promise<ArtifactDto[]> {
      await findOrThrow(runId);
      return deps.artifacts.list(runId);
    },

    /** One artifact of a run, or a 404 naming what is missing. */
    async artifactOrThrow(runId: string, name: string): Promise<ArtifactRow> {
      const run = await findOrThrow(runId);
      const artifact = artifactNameProblem(name) ? null : await deps.artifacts.find(run.id, name);
      if (!artifact) throw new ApiError('not_found', 'The run has no artifact of that name.');
      return artifact;
    },

    /** Counts for the dashboard: active runs now, and finished runs per hour over the last `hours` hours. */
    async stats(hours: number): Promise<RunStatsDto> {
      const [active, hourly] = await Promise.all([runs.countActive(), runs.countFinishedPerHour(hours)]);
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

import { ApiError, findJobTypeInfo, type JobBody, type JobDto, type JobTypeInfo, type UpdateJobBody } from '@jobflow/shared';
import { OptimisticLockError } from '@mikro-orm/postgresql';
import { JobSchema, isUuid, type JobEntity } from '@jobflow/core/db';
import { toNotificationTargetDto } from '@jobflow/core/notifications';
import { maskParams, sealParams, type Keyring } from '@jobflow/core/platform';
import { toRunDto, type RunRow } from '@jobflow/core/runs';
import type { AppDeps } from '../deps';
import { jobQueries } from './jobs.queries';
import { userQueries } from '../users/users.queries';
import { authorize, type Action } from '../auth/access-policy';
import type { Principal } from '../auth/authenticate';
import { checkParams, checkSchedule, checkTypeAccess, jobTypeOrThrow } from './job-rules';
import { resolveNotificationTargets } from '../notifications/index';
import { scheduleSettings } from './schedule-settings';

/** The owner and admins see a job's webhook URLs in full; secrets are masked for everyone. */
const isPrivileged = (job: JobEntity, viewer: Principal | null): boolean => viewer !== null && (viewer.role === 'admin' || viewer.id === job.ownerId);

/**
 * A job as `viewer` sees it (null: anyone, as live events show it): secrets
 * in its params and notification targets masked, webhook URLs masked except
 * to the job's owner and admins.
 */
export const toJobDto = (job: JobEntity, lastRun: RunRow | null, ownerName: string | undefined, viewer: Principal | null, keyring: Keyring): JobDto => ({
  id: job.id,
  name: job.name,
  description: job.description,
  type: job.type,
  params: maskParams(job.params, findJobTypeInfo(job.type)),
  schedule: job.scheduleCron && job.scheduleTimezone ? { cron: job.scheduleCron, timezone: job.scheduleTimezone } : null,
  timeoutSec: job.timeoutSec,
  maxAttempts: job.maxAttempts,
  maxConcurrentRuns: job.maxConcurrentRuns,
  schedulePolicy: { overlap: job.scheduleOverlap, missed: job.scheduleMissed },
  schedulePaused: job.schedulePaused,
  notifications: job.notifications.map((t) => toNotificationTargetDto(t, isPrivileged(job, viewer) ? keyring.open : undefined)),
  enabled: job.enabled,
  tags: job.tags,
  keepRuns: job.keepRuns ?? null,
  keepDays: job.keepDays ?? null,
  ownerId: job.ownerId,
  ...(ownerName !== undefined ? { ownerName } : {}),
  version: job.version,
  createdAt: new Date(job.createdAt).toISOString(),
  updatedAt: new Date(job.updatedAt).toISOString(),
  lastRun: lastRun ? toRunDto(lastRun) : null,
});

/** The job's owner or an admin, as the access policy says for `action`. */
export function checkJobAccess(
  job: Pick<JobEntity, 'ownerId'>,
  who: Principal,
  action: Extract<Action, 'jobs.update' | 'jobs.delete' | 'schedules.pause'>,
): void {
  authorize(who, action, { jobOwnerId: job.ownerId });
}

/**
 * A job as the audit log keeps it: the definition as the API shows it to
 * someone who is neither its owner nor an admin (secrets and webhook URLs
 * masked), without its runs.
 */
export function jobAuditView(job: JobEntity, keyring: Keyring): Record<string, unknown> {
  const {
    lastRun: _run,
    ownerName: _owner,
    createdAt: _created,
    updatedAt: _updated,
    version: _version,
    ...definition
  } = toJobDto(job, null, undefined, null, keyring);
  return definition;
}

/** `{field: {before, after}}` for every field of the definition that differs. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { before: unknown; after: unknown }> {
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { before: before[key] ?? null, after: after[key] ?? null };
  }
  return changes;
}

/** What a list of jobs is narrowed by: part of the name, the type, one tag, enabled or not. */
export interface JobListFilter {
  q?: string;
  type?: string;
  tag?: string;
  enabled?: boolean;
}

/** A change based on a version the job no longer has (someone changed it meanwhile). */
const stale = (current?: number) =>
  new ApiError(
    'precondition_failed',
    `The job was changed by someone else${current === undefined ? '' : ` (it is at version ${current} now)`}: reload it, and make your change again on top of theirs.`,
  );

/** Job definitions: the only place that creates, changes or deletes them. */
export function createJobsService({ orm, db, live, keyring, artifacts, log }: Pick<AppDeps, 'orm' | 'db' | 'live' | 'keyring' | 'artifacts' | 'log'>) {
  /** Each job's DTO as `viewer` sees it, with its last run and its owner's name, in two queries for any number of jobs. */
  async function dtosOf(jobs: JobEntity[], viewer: Principal | null = null): Promise<Map<string, JobDto>> {
    if (jobs.length === 0) return new Map();
    const ids = jobs.map((j) => j.id);
    const owners = [...new Set(jobs.map((j) => j.ownerId))];
    const [runs, users] = await Promise.all([jobQueries.lastRuns(db.sql, ids), jobQueries.ownerNames(db.sql, owners)]);
    const lastRun = new Map(runs.map((r) => [r.job_id, r]));
    const ownerName = new Map(users.map((u) => [u.id, u.name || u.email]));
    return new Map(jobs.map((j) => [j.id, toJobDto(j, lastRun.get(j.id) ?? null, ownerName.get(j.ownerId), viewer, keyring)]));
  }

  async function findOrThrow(id: string): Promise<JobEntity> {
    const job = isUuid(id) ? await orm.em.fork().findOne(JobSchema, { id }) : null;
    if (!job) throw new ApiError('not_found', 'No such job.');
    return job;
  }

  const toDto = async (job: JobEntity, viewer: Principal | null = null): Promise<JobDto> => (await dtosOf([job], viewer)).get(job.id)!;

  /** Pushes the job's snapshot as anyone may see it; returns it as `viewer` sees it. */
  async function publish(job: JobEntity, viewer: Principal | null = null): Promise<JobDto> {
    const dto = await toDto(job, viewer);
    live.jobUpdated({ ...dto, notifications: job.notifications.map((t) => toNotificationTargetDto(t)) });
    return dto;
  }

  /** Params to store: valid for the type, secrets sealed, masked secrets sent back resolved to the stored ones. */
  function paramsToStore(info: JobTypeInfo, incoming: Record<string, unknown>, stored: Record<string, unknown> | null): Record<string, unknown> {
    checkParams(info, incoming);
    const { params, problems } = sealParams(info, incoming, keyring, { stored, mayReuse: true });
    if (problems.length) throw new ApiError('validation_failed', `The params do not match the "${info.type}" job type's schema.`, problems);
    return params;
  }

  /** One try of `update`: MikroORM's flush fails with OptimisticLockError when the job's version moved meanwhile. */
  async function updateOnce(
    id: string,
    body: UpdateJobBody,
    who: Principal,
    action: 'jobs.update' | 'schedules.pause',
    ifMatch: number[] | null,
  ): Promise<{ job: JobDto; changes: Record<string, { before: unknown; after: unknown }> }> {
    const em = orm.em.fork();
    const job = isUuid(id) ? await em.findOne(JobSchema, { id }) : null;
    if (!job) throw new ApiError('not_found', 'No such job.');
    checkJobAccess(job, who, action);
    if (ifMatch && !ifMatch.includes(job.version)) throw stale(job.version);
    const before = { ...job };
    const beforeView = jobAuditView(job, keyring);
    const info = jobTypeOrThrow(job.type);
    if (body.ownerId !== undefined && body.ownerId !== job.ownerId) {
      authorize(who, 'jobs.changeOwner');
      const owner = isUuid(body.ownerId) ? await userQueries.byIds(db.sql, [body.ownerId]) : [];
      if (!owner[0] || owner[0].disabled) {
        throw new ApiError('validation_failed', 'The new owner must be an enabled user.', [{ path: '/ownerId', message: 'must be the id of an enabled user' }]);
      }
      job.ownerId = body.ownerId;
    }
    if (body.params !== undefined) {
      checkTypeAccess(info, who, 'jobs.changeAdminOnlyParams');
      job.params = paramsToStore(info, body.params, before.params);
    }
    if (body.schedule !== undefined) {
      checkSchedule(body.schedule);
      job.scheduleCron = body.schedule?.cron ?? null;
      job.scheduleTimezone = body.schedule?.timezone ?? null;
    }
    if (body.name !== undefined) job.name = body.name;
    if (body.description !== undefined) job.description = body.description;
    if (body.timeoutSec !== undefined) job.timeoutSec = body.timeoutSec;
    if (body.maxAttempts !== undefined) job.maxAttempts = body.maxAttempts;
    if (body.maxConcurrentRuns !== undefined) job.maxConcurrentRuns = body.maxConcurrentRuns;
    Object.assign(job, scheduleSettings(body, before));
    if (body.tags !== undefined) job.tags = body.tags;
    if (body.keepRuns !== undefined) job.keepRuns = body.keepRuns;
    if (body.keepDays !== undefined) job.keepDays = body.keepDays;
    if (body.enabled !== undefined) {
      // Enabled again: due times count from now, as after a resumed schedule (those while disabled are not recorded).
      if (body.enabled && !before.enabled && job.scheduleCron) job.scheduleSince = new Date();
      job.enabled = body.enabled;
    }
    if (body.notifications !== undefined) job.notifications = resolveNotificationTargets(body.notifications, before.notifications, keyring);
    await em.flush();
    return { job: await publish(job, who), changes: changedFields(beforeView, jobAuditView(job, keyring)) };
  }

  return {
    findOrThrow,
    /** A job as the audit log keeps it (see jobAuditView). */
    auditView: (job: JobEntity) => jobAuditView(job, keyring),
    toDto,
    dtosOf,
    /** Pushes the job's current snapshot (e.g. after one of its runs changed). */
    publish,

    async list(filter: JobListFilter, limit: number, after: { at: string; id: string } | null): Promise<JobEntity[]> {
      const where: Record<string, unknown>[] = [];
      if (filter.q) where.push({ name: { $ilike: `%${filter.q.replace(/[\\%_]/g, '\\$&')}%` } });
      if (filter.type) where.push({ type: filter.type });
      if (filter.tag) where.push({ tags: { $contains: [filter.tag] } });
      if (filter.enabled !== undefined) where.push({ enabled: filter.enabled });
      if (after) where.push({ $or: [{ createdAt: { $lt: new Date(after.at) } }, { createdAt: new Date(after.at), id: { $lt: after.id } }] });
      return orm.em.fork().find(JobSchema, where.length ? { $and: where } : {}, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
    },

    /** Creates a job; returns it (as its creator sees it) and its definition for the audit log. */
    async create(body: JobBody, who: Principal): Promise<{ job: JobDto; definition: Record<string, unknown> }> {
      const info = jobTypeOrThrow(body.type);
      checkTypeAccess(info, who, 'jobs.createAdminOnlyType');
      const params = paramsToStore(info, body.params, null);
      checkSchedule(body.schedule);
      const automation = { ...scheduleSettings(body, null), notifications: resolveNotificationTargets(body.notifications, [], keyring) };
      const em = orm.em.fork();
      const job = em.create(JobSchema, {
        name: body.name,
        description: body.description,
        type: body.type,
        params,
        scheduleCron: body.schedule?.cron ?? null,
        scheduleTimezone: body.schedule?.timezone ?? null,
        timeoutSec: body.timeoutSec,
        maxAttempts: body.maxAttempts,
        keepRuns: body.keepRuns,
        keepDays: body.keepDays,
        ...automation,
        enabled: body.enabled,
        tags: body.tags,
        ownerId: who.id,
      } as JobEntity);
      await em.flush();
      return { job: await publish(job, who), definition: jobAuditView(job, keyring) };
    },

    /**
     * Changes a job; returns it and what changed (for the audit log). With
     * `ifMatch` (the versions the change is based on), a job at another
     * version is a 412 and stays as it is; without, a change that meets
     * another one in flight is applied again on top of it.
     */
    async update(
      id: string,
      body: UpdateJobBody,
      who: Principal,
      action: 'jobs.update' | 'schedules.pause' = 'jobs.update',
      ifMatch: number[] | null = null,
    ): Promise<{ job: JobDto; changes: Record<string, { before: unknown; after: unknown }> }> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await updateOnce(id, body, who, action, ifMatch);
        } catch (error) {
          if (!(error instanceof OptimisticLockError)) throw error;
          if (ifMatch || attempt >= 3) throw stale();
        }
      }
    },

    async remove(id: string, who: Principal): Promise<JobEntity> {
      const job = await findOrThrow(id);
      checkJobAccess(job, who, 'jobs.delete');
      if (!(await jobQueries.deleteIdle(db.sql, id)))
        throw new ApiError('conflict', 'The job has a queued or running run; cancel it or wait for it to finish first.');
      live.jobDeleted(id);
      // Its runs' artifact objects leave the bucket after the answer; what the bucket refuses now, the next retention sweep removes.
      const failed = (error: string) =>
        log.warn('removing a deleted job’s artifacts from the bucket failed; the retention sweep tries again', { jobId: id, error });
      artifacts.removeDeletedObjects().then(
        (r) => r.failed && failed(`${r.failed} object(s) not deleted`),
        (e: unknown) => failed((e as Error).message),
      );
      return job;
    },
  };
}

export type JobsService = ReturnType<typeof createJobsService>;

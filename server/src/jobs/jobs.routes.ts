import { jobSummaryOf, jobTypeInfos } from '@jobflow/shared';
import type { AuditLog } from '../audit/audit.store';
import { principalOf } from '../auth/auth.middleware';
import type { RouteHandlers } from '../http/api-router';
import { cursor, toPage } from '../http/query';
import type { RunsService } from '../runs/runs.service';
import type { JobsService } from './jobs.service';

type JobRoutes = 'listJobTypes' | 'listJobs' | 'createJob' | 'getJob' | 'updateJob' | 'deleteJob' | 'startRun' | 'jobStorage';

export function jobsHandlers(jobs: JobsService, runs: RunsService, audit: AuditLog): Pick<RouteHandlers, JobRoutes> {
  return {
    listJobTypes: () => ({
      items: Object.values(jobTypeInfos).map(({ type, title, description, paramsSchema, adminOnly }) => ({
        type,
        title,
        description,
        paramsSchema,
        adminOnly,
      })),
    }),

    listJobs: async (ctx, { query }) => {
      const rows = await jobs.list({ q: query.q, type: query.type, tag: query.tag, enabled: query.enabled }, query.limit + 1, cursor.decode(query.cursor));
      const dtos = await jobs.dtosOf(rows.slice(0, query.limit), principalOf(ctx));
      return toPage(
        rows,
        query.limit,
        (j) => jobSummaryOf(dtos.get(j.id)!),
        (j) => [j.createdAt, j.id],
      );
    },

    createJob: async (ctx, { body }) => {
      const { job, definition } = await jobs.create(body, principalOf(ctx));
      await audit.recordRequest(ctx, 'job.created', { type: 'job', id: job.id }, { after: definition });
      return job;
    },

    getJob: async (ctx, { params }) => jobs.toDto(await jobs.findOrThrow(params.id), principalOf(ctx)),

    updateJob: async (ctx, { params, body, ifMatch }) => {
      const { job, changes } = await jobs.update(params.id, body, principalOf(ctx), 'jobs.update', ifMatch);
      if (Object.keys(changes).length) await audit.recordRequest(ctx, 'job.changed', { type: 'job', id: job.id }, changes);
      return job;
    },

    deleteJob: async (ctx, { params }) => {
      const job = await jobs.remove(params.id, principalOf(ctx));
      await audit.recordRequest(ctx, 'job.deleted', { type: 'job', id: job.id }, { before: jobs.auditView(job) });
    },

    jobStorage: async (_ctx, { params }) => runs.storageOf((await jobs.findOrThrow(params.id)).id),

    startRun: async (ctx, { params, body }) => {
      const run = await runs.startForJob(params.id, body, principalOf(ctx));
      // Not awaited: the run-start path waits for no audit write (entries of concurrent starts share one statement).
      void audit.recordRequest(
        ctx,
        'run.started',
        { type: 'run', id: run.id },
        { jobId: run.jobId, trigger: run.trigger.kind, hasOwnParams: body.params !== undefined },
      );
      return run;
    },
  };
}

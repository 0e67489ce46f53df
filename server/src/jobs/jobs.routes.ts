import Router from '@koa/router';
import { JobBody, StartRunBody, UpdateJobBody, jobTypeInfos, parseOrThrow } from '@jobflow/shared';
import type { AuditLog } from '../audit/audit.store';
import { allow } from '../auth/access-policy';
import { principalOf } from '../auth/auth.middleware';
import { pageQuery, queryString, toPage } from '../http/query';
import type { RunsService } from '../runs/runs.service';
import type { JobsService } from './jobs.service';

export function jobsRoutes(jobs: JobsService, runs: RunsService, audit: AuditLog): Router {
  const router = new Router({ prefix: '/api' });

  router.get('/job-types', allow('jobTypes.list'), async (ctx) => {
    ctx.body = {
      items: Object.values(jobTypeInfos).map(({ type, title, description, paramsSchema, adminOnly }) => ({
        type,
        title,
        description,
        paramsSchema,
        adminOnly,
      })),
    };
  });

  router.get('/jobs', allow('jobs.list'), async (ctx) => {
    const { limit, after } = pageQuery(ctx);
    const filter = { q: queryString(ctx, 'q'), type: queryString(ctx, 'type') };
    const rows = await jobs.list(filter, limit + 1, after);
    const dtos = await jobs.dtosOf(rows.slice(0, limit), principalOf(ctx));
    ctx.body = toPage(
      rows,
      limit,
      (j) => dtos.get(j.id)!,
      (j) => [j.createdAt, j.id],
    );
  });

  router.post('/jobs', allow('jobs.create'), async (ctx) => {
    const body = parseOrThrow(JobBody, ctx.state.body ?? {});
    const { job, definition } = await jobs.create(body, principalOf(ctx));
    await audit.recordRequest(ctx, 'job.created', { type: 'job', id: job.id }, { after: definition });
    ctx.status = 201;
    ctx.body = job;
  });

  router.get('/jobs/:id', allow('jobs.read'), async (ctx) => {
    ctx.body = await jobs.toDto(await jobs.findOrThrow(ctx.params.id!), principalOf(ctx));
  });

  router.patch('/jobs/:id', async (ctx) => {
    const { job, changes } = await jobs.update(ctx.params.id!, parseOrThrow(UpdateJobBody, ctx.state.body ?? {}), principalOf(ctx));
    if (Object.keys(changes).length) await audit.recordRequest(ctx, 'job.changed', { type: 'job', id: job.id }, changes);
    ctx.body = job;
  });

  router.delete('/jobs/:id', async (ctx) => {
    const job = await jobs.remove(ctx.params.id!, principalOf(ctx));
    await audit.recordRequest(ctx, 'job.deleted', { type: 'job', id: job.id }, { before: jobs.auditView(job) });
    ctx.status = 204;
  });

  router.post('/jobs/:id/runs', allow('runs.start'), async (ctx) => {
    const body = parseOrThrow(StartRunBody, ctx.state.body ?? {});
    const run = await runs.startForJob(ctx.params.id!, body, principalOf(ctx));
    // Not awaited: the run-start path waits for no audit write (entries of concurrent starts share one statement).
    void audit.recordRequest(
      ctx,
      'run.started',
      { type: 'run', id: run.id },
      { jobId: run.jobId, trigger: run.trigger.kind, hasOwnParams: body.params !== undefined },
    );
    ctx.status = 201;
    ctx.body = run;
  });

  return router;
}

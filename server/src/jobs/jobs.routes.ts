import Router from '@koa/router';
import { JobBody, StartRunBody, UpdateJobBody, jobTypeInfos, parseOrThrow } from '@jobflow/shared';
import type { Authenticator } from '../auth/authenticate';
import { principalOf, requireAuth } from '../auth/auth.middleware';
import { pageQuery, queryString, toPage } from '../http/query';
import type { RunsService } from '../runs/runs.service';
import type { JobsService } from './jobs.service';

export function jobsRoutes(auth: Authenticator, jobs: JobsService, runs: RunsService): Router {
  const router = new Router({ prefix: '/api' });
  router.use(requireAuth(auth));

  router.get('/job-types', async (ctx) => {
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

  router.get('/jobs', async (ctx) => {
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

  router.post('/jobs', async (ctx) => {
    const body = parseOrThrow(JobBody, ctx.state.body ?? {});
    ctx.status = 201;
    ctx.body = await jobs.create(body, principalOf(ctx));
  });

  router.get('/jobs/:id', async (ctx) => {
    ctx.body = await jobs.toDto(await jobs.findOrThrow(ctx.params.id!), principalOf(ctx));
  });

  router.patch('/jobs/:id', async (ctx) => {
    ctx.body = await jobs.update(ctx.params.id!, parseOrThrow(UpdateJobBody, ctx.state.body ?? {}), principalOf(ctx));
  });

  router.delete('/jobs/:id', async (ctx) => {
    await jobs.remove(ctx.params.id!, principalOf(ctx));
    ctx.status = 204;
  });

  router.post('/jobs/:id/runs', async (ctx) => {
    const body = parseOrThrow(StartRunBody, ctx.state.body ?? {});
    ctx.status = 201;
    ctx.body = await runs.startForJob(ctx.params.id!, body, principalOf(ctx));
  });

  return router;
}

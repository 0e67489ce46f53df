import { Readable } from 'node:stream';
import Router from '@koa/router';
import type Koa from 'koa';
import { ApiError, RunStatus, StartRunBody, TRIGGER_KINDS, parseOrThrow, type LogLineDto } from '@jobflow/shared';
import { isUuid } from '@jobflow/core/db';
import { toRunDto } from '@jobflow/core/runs';
import type { AuditLog } from '../audit/audit.store';
import { allow } from '../auth/access-policy';
import { principalOf } from '../auth/auth.middleware';
import { isStorableTime, pageQuery, queryInt, queryString, toPage } from '../http/query';
import type { RunListFilter, RunsService } from './runs.service';

const TEXT_PAGE_LINES = 5000;

const uuidParam = (ctx: Koa.Context, name: string): string | undefined => {
  const value = queryString(ctx, name);
  if (value !== undefined && !isUuid(value)) throw new ApiError('bad_request', `Query parameter "${name}" must be an id.`);
  return value;
};

const timeParam = (ctx: Koa.Context, name: string): string | undefined => {
  const value = queryString(ctx, name);
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || !isStorableTime(new Date(value))) {
    throw new ApiError('bad_request', `Query parameter "${name}" must be an ISO-8601 time.`);
  }
  return new Date(value).toISOString();
};

/** The filters of `GET /api/runs`, each checked: a bad one is a 400 naming it. */
function runListFilter(ctx: Koa.Context): RunListFilter {
  const statuses = queryString(ctx, 'status')?.split(',');
  if (statuses?.some((s) => !RunStatus.safeParse(s).success)) {
    throw new ApiError('bad_request', `Query parameter "status" must be one of ${RunStatus.options.join(', ')} (or several, comma-separated).`);
  }
  const trigger = queryString(ctx, 'trigger');
  if (trigger !== undefined && !(TRIGGER_KINDS as readonly string[]).includes(trigger)) {
    throw new ApiError('bad_request', `Query parameter "trigger" must be one of ${TRIGGER_KINDS.join(', ')}.`);
  }
  const q = queryString(ctx, 'q');
  if (q !== undefined && q.length > 200) throw new ApiError('bad_request', 'Query parameter "q" must be at most 200 characters.');
  return {
    jobId: uuidParam(ctx, 'jobId'),
    statuses: statuses as RunStatus[] | undefined,
    type: queryString(ctx, 'type'),
    trigger: trigger as RunListFilter['trigger'],
    userId: uuidParam(ctx, 'userId'),
    since: timeParam(ctx, 'since'),
    until: timeParam(ctx, 'until'),
    finishedSince: timeParam(ctx, 'finishedSince'),
    q,
  };
}

export function runsRoutes(runs: RunsService, audit: AuditLog): Router {
  const router = new Router({ prefix: '/api/runs' });

  router.get('/', allow('runs.list'), async (ctx) => {
    const { limit, after } = pageQuery(ctx);
    const rows = await runs.list(runListFilter(ctx), limit + 1, after);
    ctx.body = toPage(rows, limit, toRunDto, (r) => [r.queued_at, r.id]);
  });

  router.get('/stats', allow('runs.list'), async (ctx) => {
    ctx.body = await runs.stats(queryInt(ctx, 'hours', 24, 1, 24 * 31));
  });

  router.get('/:id', allow('runs.read'), async (ctx) => {
    ctx.body = toRunDto(await runs.findOrThrow(ctx.params.id!));
  });

  // A page with lines proves the run exists: the run itself is read only for an empty page (404 or not).
  router.get('/:id/attempts', allow('runs.read'), async (ctx) => {
    ctx.body = { items: await runs.attempts(ctx.params.id!) };
  });

  router.get('/:id/logs', allow('runs.read'), async (ctx) => {
    const id = ctx.params.id!;
    let page: { after: number; limit: number };
    try {
      page = { after: queryInt(ctx, 'after', 0, 0, 2 ** 31 - 1), limit: queryInt(ctx, 'limit', 1000, 1, 5000) };
    } catch (e) {
      await runs.findOrThrow(id);
      throw e;
    }
    const items = isUuid(id) ? await runs.logs(id, page.after, page.limit) : [];
    if (items.length === 0) await runs.findOrThrow(id);
    ctx.body = { items, nextAfter: items.length ? items[items.length - 1]!.seq : page.after };
  });

  router.get('/:id/logs.txt', allow('runs.read'), async (ctx) => {
    const run = await runs.findOrThrow(ctx.params.id!);
    const format = queryString(ctx, 'format') ?? 'text';
    if (format !== 'text' && format !== 'full') throw new ApiError('bad_request', 'Query parameter "format" must be text or full.');
    // `full`: "<ISO time> <stream> <text>", so late or interleaved lines can be told apart.
    const render = format === 'full' ? (l: LogLineDto) => `${l.ts} ${l.stream} ${l.text}\n` : (l: LogLineDto) => l.text + '\n';
    async function* lines() {
      let after = 0;
      for (;;) {
        const page = await runs.logs(run.id, after, TEXT_PAGE_LINES);
        if (page.length === 0) return;
        yield page.map(render).join('');
        after = page[page.length - 1]!.seq;
      }
    }
    ctx.type = 'text/plain; charset=utf-8';
    ctx.set('Content-Disposition', `inline; filename="run-${run.id}.log"`);
    ctx.body = Readable.from(lines());
  });

  router.post('/:id/cancel', async (ctx) => {
    const run = await runs.cancel(ctx.params.id!, principalOf(ctx));
    await audit.recordRequest(ctx, 'run.cancelled', { type: 'run', id: run.id }, { jobId: run.jobId, status: run.status });
    ctx.status = 202;
    ctx.body = run;
  });

  router.post('/:id/rerun', allow('runs.rerun'), async (ctx) => {
    const body = parseOrThrow(StartRunBody, ctx.state.body ?? {});
    const run = await runs.rerun(ctx.params.id!, body, principalOf(ctx));
    void audit.recordRequest(
      ctx,
      'run.rerun',
      { type: 'run', id: run.id },
      { jobId: run.jobId, rerunOf: run.trigger.rerunOf ?? null, hasOwnParams: body.params !== undefined },
    );
    ctx.status = 201;
    ctx.body = run;
  });

  return router;
}

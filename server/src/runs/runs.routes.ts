import { Readable } from 'node:stream';
import type { LogLineDto } from '@jobflow/shared';
import { toRunDto, toRunSummary } from '@jobflow/core/runs';
import type { AuditLog } from '../audit/audit.store';
import { principalOf } from '../auth/auth.middleware';
import type { RouteHandlers } from '../http/api-router';
import { cursor, isoOf, toPage } from '../http/query';
import type { RunsService } from './runs.service';

const TEXT_PAGE_LINES = 5000;

type RunRoutes = 'listRuns' | 'runStats' | 'getRun' | 'listRunAttempts' | 'getRunLogs' | 'getRunLogText' | 'cancelRun' | 'rerun';

export function runsHandlers(runs: RunsService, audit: AuditLog): Pick<RouteHandlers, RunRoutes> {
  return {
    listRuns: async (_ctx, { query }) => {
      const filter = {
        jobId: query.jobId,
        statuses: query.status,
        type: query.type,
        tag: query.tag,
        trigger: query.trigger,
        userId: query.userId,
        since: isoOf(query.since),
        until: isoOf(query.until),
        finishedSince: isoOf(query.finishedSince),
        q: query.q,
      };
      const rows = await runs.list(filter, query.limit + 1, cursor.decode(query.cursor));
      return toPage(rows, query.limit, toRunSummary, (r) => [r.queued_at, r.id]);
    },

    runStats: async (_ctx, { query }) => runs.stats(query.hours),

    getRun: async (_ctx, { params }) => toRunDto(await runs.findOrThrow(params.id)),

    listRunAttempts: async (_ctx, { params }) => ({ items: await runs.attempts(params.id) }),

    // A page with lines proves the run exists: the run itself is read only for an empty page (404 or not).
    getRunLogs: async (_ctx, { params, query }) => {
      const items = await runs.logs(params.id, query.after, query.limit);
      if (items.length === 0) await runs.findOrThrow(params.id);
      return { items, nextAfter: items.length ? items[items.length - 1]!.seq : query.after };
    },

    getRunLogText: async (ctx, { params, query }) => {
      const run = await runs.findOrThrow(params.id);
      // `full`: "<ISO time> <stream> <text>", so late or interleaved lines can be told apart.
      const render = query.format === 'full' ? (l: LogLineDto) => `${l.ts} ${l.stream} ${l.text}\n` : (l: LogLineDto) => l.text + '\n';
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
      return Readable.from(lines());
    },

    cancelRun: async (ctx, { params }) => {
      const run = await runs.cancel(params.id, principalOf(ctx));
      await audit.recordRequest(ctx, 'run.cancelled', { type: 'run', id: run.id }, { jobId: run.jobId, status: run.status });
      return run;
    },

    rerun: async (ctx, { params, body }) => {
      const run = await runs.rerun(params.id, body, principalOf(ctx));
      void audit.recordRequest(
        ctx,
        'run.rerun',
        { type: 'run', id: run.id },
        { jobId: run.jobId, rerunOf: run.trigger.rerunOf ?? null, hasOwnParams: body.params !== undefined },
      );
      return run;
    },
  };
}

import { Readable } from 'node:stream';
import type { LogLineDto, RunExportLine } from '@jobflow/shared';
import { toRunDto, toRunSummary } from '@jobflow/core/runs';
import type { AuditLog } from '../audit/audit.store';
import { principalOf } from '../auth/auth.middleware';
import type { RouteHandlers } from '../http/api-router';
import { cursor, isoOf, toPage } from '../http/query';
import type { RunsService } from './runs.service';

type RunRoutes = 'listRuns' | 'runStats' | 'getRun' | 'listRunAttempts' | 'getRunLogs' | 'getRunLogText' | 'exportRun' | 'cancelRun' | 'rerun';

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
        for await (const page of runs.allLines(run.id)) yield page.map(render).join('');
      }
      ctx.type = 'text/plain; charset=utf-8';
      ctx.set('Content-Disposition', `inline; filename="run-${run.id}.log"`);
      return Readable.from(lines());
    },

    // NDJSON: the run, then every line in seq order (read a page at a time), then the artifact list.
    exportRun: async (ctx, { params }) => {
      const run = await runs.findOrThrow(params.id);
      const line = (value: RunExportLine) => JSON.stringify(value) + '\n';
      async function* ndjson() {
        yield line({ kind: 'run', exportedAt: new Date().toISOString(), run: toRunDto(run) });
        for await (const page of runs.allLines(run.id)) yield page.map((l) => line({ kind: 'log', line: l })).join('');
        yield line({ kind: 'artifacts', items: await runs.artifacts(run.id) });
      }
      ctx.type = 'application/x-ndjson; charset=utf-8';
      ctx.set('Content-Disposition', `attachment; filename="run-${run.id}.ndjson"`);
      return Readable.from(ndjson());
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

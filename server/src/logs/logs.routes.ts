import Router from '@koa/router';
import { ApiError, type LogHitDto } from '@jobflow/shared';
import { toRunDto, type RunEngine } from '@jobflow/core/runs';
import { allow } from '../auth/access-policy';
import { queryDateOrTime, queryId, queryInt, queryStatuses, queryString } from '../http/query';
import { MAX_QUERY_CHARS, MIN_QUERY_CHARS, hitCursor, matchRanges } from './log-search';

/**
 * `GET /api/logs/search`: stored lines of every run the caller may read
 * (everyone signed in reads every run) that contain `q`, newest first.
 */
export function logsRoutes(runs: RunEngine): Router {
  const router = new Router({ prefix: '/api/logs' });

  router.get('/search', allow('logs.search'), async (ctx) => {
    const q = queryString(ctx, 'q');
    if (q === undefined || q.trim().length < MIN_QUERY_CHARS || q.length > MAX_QUERY_CHARS) {
      throw new ApiError('bad_request', `Query parameter "q" must be ${MIN_QUERY_CHARS} to ${MAX_QUERY_CHARS} characters.`);
    }
    const filter = {
      q,
      jobId: queryId(ctx, 'jobId', 'a job'),
      statuses: queryStatuses(ctx),
      since: queryDateOrTime(ctx, 'since'),
      until: queryDateOrTime(ctx, 'until'),
    };
    const limit = queryInt(ctx, 'limit', 50, 1, 200);
    const rows = await runs.searchLines(filter, limit + 1, hitCursor.decode(queryString(ctx, 'cursor')));
    const items: LogHitDto[] = rows.slice(0, limit).map((row) => {
      const { params: _params, result: _result, ...run } = toRunDto(row);
      return { run, seq: row.hit_seq, ts: row.hit_ts, text: row.hit_text, match: matchRanges(row.hit_text, q) };
    });
    const last = items[items.length - 1];
    ctx.body = { items, nextCursor: rows.length > limit && last ? hitCursor.encode({ ts: last.ts, runId: last.run.id, seq: last.seq }) : null };
  });

  return router;
}

import type { LogHitDto } from '@jobflow/shared';
import { toRunDto, type RunEngine } from '@jobflow/core/runs';
import type { RouteHandlers } from '../http/api-router';
import { isoOf } from '../http/query';
import { hitCursor, matchRanges } from './log-search';

/**
 * `GET /api/logs/search`: stored lines of every run the caller may read
 * (everyone signed in reads every run) that contain `q`, newest first.
 */
export function logsHandlers(runs: RunEngine): Pick<RouteHandlers, 'searchLogs'> {
  return {
    searchLogs: async (_ctx, { query }) => {
      const filter = { q: query.q, jobId: query.jobId, statuses: query.status, since: isoOf(query.since), until: isoOf(query.until) };
      const rows = await runs.searchLines(filter, query.limit + 1, hitCursor.decode(query.cursor));
      const items: LogHitDto[] = rows.slice(0, query.limit).map((row) => {
        const { params: _params, result: _result, ...run } = toRunDto(row);
        return { run, seq: row.hit_seq, ts: row.hit_ts, text: row.hit_text, match: matchRanges(row.hit_text, query.q) };
      });
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > query.limit && last ? hitCursor.encode({ ts: last.ts, runId: last.run.id, seq: last.seq }) : null };
    },
  };
}

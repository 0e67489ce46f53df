import { ApiError } from '@jobflow/shared';
import { isUuid } from '@jobflow/core/db';
import type { LineSearchAfter } from '@jobflow/core/runs';
import { isStorableTime } from '../http/query';

/** Shortest searched text: the trigram index needs three characters to narrow anything down. */
export const MIN_QUERY_CHARS = 3;
export const MAX_QUERY_CHARS = 200;

/** Each occurrence of `q` in `text`, case-insensitively, as `[start, end)` UTF-16 offsets. */
export function matchRanges(text: string, q: string): [number, number][] {
  const ranges: [number, number][] = [];
  const pattern = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
  for (const m of text.matchAll(pattern)) ranges.push([m.index, m.index + m[0].length]);
  return ranges;
}

/** Keyset cursor of search pages over (line time, run id, seq), opaque to clients. */
export const hitCursor = {
  encode: (after: LineSearchAfter) => Buffer.from(`${after.ts}|${after.runId}|${after.seq}`).toString('base64url'),
  decode(raw: string | undefined): LineSearchAfter | null {
    if (raw === undefined) return null;
    const [ts, runId, seq, extra] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
    if (
      !ts ||
      !runId ||
      !seq ||
      extra !== undefined ||
      !isUuid(runId) ||
      !/^[1-9]\d{0,9}$/.test(seq) ||
      !isStorableTime(new Date(ts)) ||
      new Date(ts).toISOString() !== ts
    ) {
      throw new ApiError('bad_request', 'Query parameter "cursor" is not a cursor this API issued.');
    }
    return { ts, runId, seq: Number(seq) };
  },
};

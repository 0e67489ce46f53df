import { ApiError, RunStatus, TAG_PATTERN } from '@jobflow/shared';
import { isUuid } from '@jobflow/core/db';
import type Koa from 'koa';

const MAX_QUERY_CHARS = 1000;

/** One query parameter as a string, or undefined; a repeated, overlong or NUL-bearing parameter is a 400. */
export function queryString(ctx: Koa.Context, name: string): string | undefined {
  const v = ctx.query[name];
  if (Array.isArray(v)) throw new ApiError('bad_request', `Query parameter "${name}" is given more than once.`);
  if (v === undefined || v === '') return undefined;
  if (v.length > MAX_QUERY_CHARS) throw new ApiError('bad_request', `Query parameter "${name}" is longer than ${MAX_QUERY_CHARS} characters.`);
  if (v.includes('\u0000')) throw new ApiError('bad_request', `Query parameter "${name}" may not contain NUL characters.`);
  return v;
}

/** An id query parameter (a UUID), else a 400. */
export function queryId(ctx: Koa.Context, name: string, what: string): string | undefined {
  const v = queryString(ctx, name);
  if (v !== undefined && !isUuid(v)) throw new ApiError('bad_request', `Query parameter "${name}" must be ${what} id.`);
  return v;
}

/** `?status=` as one run status or several, comma-separated, else a 400. */
export function queryStatuses(ctx: Koa.Context): RunStatus[] | undefined {
  const statuses = queryString(ctx, 'status')?.split(',');
  if (statuses?.some((s) => !RunStatus.safeParse(s).success)) {
    throw new ApiError('bad_request', `Query parameter "status" must be one of ${RunStatus.options.join(', ')} (or several, comma-separated).`);
  }
  return statuses as RunStatus[] | undefined;
}

/** A time query parameter (ISO-8601 with a zone, within years 1..9999), else a 400. */
export function queryTime(ctx: Koa.Context, name: string): Date | undefined {
  const v = queryString(ctx, name);
  if (v === undefined) return undefined;
  const at = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) || !isStorableTime(at)) {
    throw new ApiError('bad_request', `Query parameter "${name}" must be an ISO-8601 time with a zone, e.g. 2026-11-28T12:00:00Z.`);
  }
  return at;
}

/** A date (`2026-11-28`) or ISO-8601 time query parameter, as an ISO string, else a 400. */
export const queryDateOrTime = (ctx: Koa.Context, name: string): string | undefined => {
  const value = queryString(ctx, name);
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || !isStorableTime(new Date(value))) {
    throw new ApiError('bad_request', `Query parameter "${name}" must be an ISO-8601 time.`);
  }
  return new Date(value).toISOString();
};

/** A time PostgreSQL stores as given: a real date in years 1 to 9999. */
export const isStorableTime = (at: Date) => !Number.isNaN(at.getTime()) && at.getUTCFullYear() >= 1 && at.getUTCFullYear() <= 9999;

/** An integer query parameter within [min, max], else a 400. */
export function queryInt(ctx: Koa.Context, name: string, def: number, min: number, max: number): number {
  const raw = queryString(ctx, name);
  if (raw === undefined) return def;
  if (!/^-?\d+$/.test(raw)) throw new ApiError('bad_request', `Query parameter "${name}" must be an integer.`);
  const n = Number(raw);
  if (n < min || n > max) throw new ApiError('bad_request', `Query parameter "${name}" must be between ${min} and ${max}.`);
  return n;
}

/** Keyset cursor over (time, id), opaque to clients. */
export const cursor = {
  encode: (at: Date | string, id: string) => Buffer.from(`${new Date(at).toISOString()}|${id}`).toString('base64url'),
  decode(raw: string | undefined): { at: string; id: string } | null {
    if (raw === undefined) return null;
    const [at, id, extra] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
    // Only what encode() makes: the exact ISO form of a storable time, and a UUID.
    if (!at || !id || extra !== undefined || !isUuid(id) || !/^\d{4}-/.test(at) || !isStorableTime(new Date(at)) || new Date(at).toISOString() !== at) {
      throw new ApiError('bad_request', 'Query parameter "cursor" is not a cursor this API issued.');
    }
    return { at, id };
  },
};

/** `?limit=` (1..200, default 50) and `?cursor=` of a keyset-paginated list. */
export const pageQuery = (ctx: Koa.Context) => ({
  limit: queryInt(ctx, 'limit', 50, 1, 200),
  after: cursor.decode(queryString(ctx, 'cursor')),
});

/** Cuts one extra fetched row off into `nextCursor`. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, key: (row: R) => [Date | string, string]) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(map), nextCursor: rows.length > limit && last ? cursor.encode(...key(last)) : null };
}

/** The `tag` filter of job and run lists: one tag, as a job's tags are written. */
export const tagParam = (ctx: Koa.Context): string | undefined => {
  const value = queryString(ctx, 'tag');
  if (value !== undefined && !TAG_PATTERN.test(value))
    throw new ApiError('bad_request', 'Query parameter "tag" must be a tag (lowercase letters, digits, "-", "_", "." or ":").');
  return value;
};

/** A date or time from a parsed query as an ISO time (a date alone is its UTC midnight). */
export const isoOf = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());

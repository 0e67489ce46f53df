import { ApiError } from '@jobflow/shared';
import type Koa from 'koa';

/** One query parameter as a string, or undefined; a repeated parameter is a 400. */
export function queryString(ctx: Koa.Context, name: string): string | undefined {
  const v = ctx.query[name];
  if (Array.isArray(v)) throw new ApiError('bad_request', `Query parameter "${name}" is given more than once.`);
  return v === undefined || v === '' ? undefined : v;
}

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
    if (!at || !id || extra !== undefined || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/i.test(id)) {
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

/** Ids are UUIDs; anything else can never name a row (and must be a 404, not a SQL error). */
export const isUuid = (id: unknown): id is string => typeof id === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** PostgreSQL timestamps as the pools hand them over: ISO-like strings (see `createDb`), or Dates. */
export type Timestamp = Date | string;

/** A timestamp as PostgreSQL writes it in UTC (`2026-11-30 18:54:40.08279+00`): date, time, up to six digits of fraction. */
const PG_UTC = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/**
 * A timestamp as `Date#toISOString` writes it (to the millisecond, the rest
 * cut off). Every run change turns several into ISO, so the text PostgreSQL
 * sends in UTC is rearranged rather than parsed; anything else goes through `Date`.
 */
export function iso(d: Timestamp | null | undefined): string | null {
  if (d == null) return null;
  if (typeof d === 'string') {
    const m = PG_UTC.exec(d);
    if (m) return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  }
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

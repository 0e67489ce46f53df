/** Ids are UUIDs; anything else can never name a row (and must be a 404, not a SQL error). */
export const isUuid = (id: unknown): id is string => typeof id === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** PostgreSQL timestamps as the pools hand them over: ISO-like strings (see `createDb`), or Dates. */
export type Timestamp = Date | string;

export const iso = (d: Timestamp | null | undefined): string | null => (d == null ? null : (d instanceof Date ? d : new Date(d)).toISOString());

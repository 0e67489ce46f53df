/** Runs one SQL statement (knex `?` placeholders) and returns its rows. */
export type Sql = <T = Record<string, unknown>>(query: string, params?: readonly unknown[]) => Promise<T[]>;

/** Ids are UUIDs; anything else can never name a row (and must be a 404, not a SQL error). */
export const isUuid = (id: unknown): id is string => typeof id === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

export const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : (d instanceof Date ? d : new Date(d)).toISOString());

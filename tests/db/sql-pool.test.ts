import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, defineStatement, iso, type Db } from '@jobflow/core/db';
import { BaseEnv, baseConfig } from '@jobflow/core/platform';
import { createTestDatabase } from '../support/db';

const echo = defineStatement<{ n: number }, [n: number]>('test_echo', 'select $1::int as n');
/** Timestamps 7,919 µs apart (every fraction length from 0 to 6 digits), as PostgreSQL writes them in the session's time zone. */
const timestamps = defineStatement<{ t: string }, [zone: string]>(
  'test_timestamps',
  `select set_config('timezone', $1, true) as zone, t
   from (select timestamptz '2026-02-28 23:59:59.99+00' + n * interval '7919 microseconds' as t from generate_series(0, 2000) n) s`,
);
const preparedHere = defineStatement<{ name: string }, []>('test_prepared_here', `select name from pg_prepared_statements order by name`);

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

/** Runs `echo` and then lists what the same connection holds prepared. */
async function preparedAfterEcho(db: Db): Promise<{ echoed: number[]; prepared: string[] }> {
  try {
    return await db.tx(async (sql) => {
      const echoed = (await sql(echo, [7])).map((r) => r.n);
      const prepared = (await sql(preparedHere, [])).map((r) => r.name);
      return { echoed, prepared };
    });
  } finally {
    await db.close();
  }
}

describe('the pool of the hand-written statements', () => {
  it('prepares each statement under its name, once per connection', async () => {
    const { echoed, prepared } = await preparedAfterEcho(createDb({ databaseUrl: database.url, poolMax: 1 }));
    expect(echoed).toEqual([7]);
    expect(prepared).toContain('jf_test_echo');
  });

  it('runs every statement unnamed when prepared statements are off (for a pooler in transaction mode)', async () => {
    const { echoed, prepared } = await preparedAfterEcho(createDb({ databaseUrl: database.url, poolMax: 1, usePreparedStatements: false }));
    expect(echoed).toEqual([7]);
    expect(prepared).toEqual([]);
  });

  it('is switched by DB_PREPARED_STATEMENTS, on unless set to false', () => {
    expect(baseConfig(BaseEnv.parse({})).dbPreparedStatements).toBe(true);
    expect(baseConfig(BaseEnv.parse({ DB_PREPARED_STATEMENTS: 'false' })).dbPreparedStatements).toBe(false);
  });

  it('refuses two different texts under one name', () => {
    expect(() => defineStatement('test_echo', 'select 2')).toThrow(/two different statements/);
    expect(defineStatement('test_echo', 'select $1::int as n').name).toBe('jf_test_echo');
  });
});

describe('timestamps as the pool hands them over', () => {
  it('turn into ISO exactly as Date#toISOString writes them, in UTC and in any other session time zone', async () => {
    const db = createDb({ databaseUrl: database.url, poolMax: 1 });
    try {
      for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns']) {
        const rows = await db.tx((sql) => sql(timestamps, [zone]));
        expect(rows).toHaveLength(2001);
        for (const { t } of rows) expect([t, iso(t)]).toEqual([t, new Date(t).toISOString()]);
      }
    } finally {
      await db.close();
    }
    expect(iso(null)).toBeNull();
    expect(iso(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)))).toBe('2026-01-02T03:04:05.006Z');
    expect(iso('2026-11-30 18:54:40+00')).toBe('2026-11-30T18:54:40.000Z');
  });
});

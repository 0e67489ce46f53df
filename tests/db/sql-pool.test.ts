import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, defineStatement, type Db } from '@jobflow/core/db';
import { BaseEnv, baseConfig } from '@jobflow/core/platform';
import { createTestDatabase } from '../support/db';

const echo = defineStatement<{ n: number }, [n: number]>('test_echo', 'select $1::int as n');
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

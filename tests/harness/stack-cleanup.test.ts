import { describe, expect, it } from 'vitest';
import { redisKeysUnder } from '../support/redis';
import { startStack } from '../support/stack';
import { openSql } from '../support/sql';

/** Tests run side by side on one PostgreSQL and one Redis: a stopped stack leaves neither its keys nor its database. */
describe('a test stack', () => {
  it('removes every Redis key under its prefix and drops its database when it stops', async () => {
    const stack = await startStack();
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 0 } });
    const run = await stack.startRun(job.id);
    await stack.startRun(job.id);
    const redisUrl = stack.env.REDIS_URL!;
    await stack.request('POST', '/api/auth/login', { body: { email: stack.admin.email, password: 'wrong password' } });
    expect(run.status).toBe('queued');
    expect((await redisKeysUnder(redisUrl, stack.redisPrefix)).length, 'keys the stack made').toBeGreaterThan(0);
    const name = new URL(stack.databaseUrl).pathname.slice(1);

    await stack.stop();

    expect(await redisKeysUnder(redisUrl, stack.redisPrefix)).toEqual([]);
    const sql = openSql(stack.databaseUrl.replace(`/${name}`, '/postgres'));
    try {
      expect(await sql('select 1 from pg_database where datname = $1', [name])).toEqual([]);
    } finally {
      await sql.close();
    }
  });
});

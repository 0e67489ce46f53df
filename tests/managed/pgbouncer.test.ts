import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFinalStatus, type JobDto, type LogPageDto, type RunDto } from '@jobflow/shared';
import { createTestDatabase, uniquePrefix } from '../support/db';
import { startPgBouncer, startProcesses, type ProcessStack } from '../support/managed-services';
import { killAll } from '../support/processes';
import { removeRedisKeys } from '../support/redis';
import { waitFor } from '../support/wait';

/**
 * Server and worker behind Debian's PgBouncer in transaction mode, as managed
 * PostgreSQL offerings put in front of the database: each transaction may run
 * on another server connection, so statements run unnamed
 * (DB_PREPARED_STATEMENTS=false), migrations go through a direct connection
 * (MIGRATE_DATABASE_URL), and the pooler offers the Jobflow database only (no
 * `postgres`), which preflight must not need.
 */
const dir = mkdtempSync(join(tmpdir(), 'jobflow-pgbouncer-'));
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPrefix = uniquePrefix();
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let bouncer: Awaited<ReturnType<typeof startPgBouncer>> | undefined;
let stack: ProcessStack | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  const name = new URL(database.url).pathname.slice(1);
  bouncer = await startPgBouncer([name], dir);
  stack = await startProcesses({
    DATABASE_URL: bouncer.url(name),
    MIGRATE_DATABASE_URL: database.url,
    DB_PREPARED_STATEMENTS: 'false',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: redisPrefix,
  });
}, 150_000);
afterAll(async () => {
  await stack?.stop();
  await killAll();
  await bouncer?.stop();
  await database?.drop();
  await removeRedisKeys(redisUrl, redisPrefix);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('behind PgBouncer in transaction mode', { timeout: 120_000 }, () => {
  it('serves the API: users, tokens, jobs, runs, logs, cancel and rerun', async () => {
    const { api } = stack!;
    expect((await api('GET', '/api/auth/me')).status).toBe(200);
    const user = await api<{ id: string }>('POST', '/api/users', { email: `pooled-${redisPrefix}@example.com`, password: 'a long password', role: 'user' });
    expect(user.status).toBe(201);
    expect((await api('PATCH', `/api/users/${user.body.id}`, { name: 'Pooled' })).status).toBe(200);
    expect((await api<unknown[]>('GET', '/api/users')).status).toBe(200);
    const token = await api<{ id: string }>('POST', '/api/tokens', { name: 'pooled' });
    expect(token.status).toBe(201);
    expect((await api('DELETE', `/api/tokens/${token.body.id}`)).status).toBe(204);

    const job = await api<JobDto>('POST', '/api/jobs', { name: 'pooled echo', type: 'shell', params: { script: 'echo one; echo two' } });
    expect(job.status).toBe(201);
    expect((await api<JobDto>('PATCH', `/api/jobs/${job.body.id}`, { description: 'through the pooler' })).status).toBe(200);
    expect((await api('GET', `/api/jobs?q=pooled`)).status).toBe(200);
    const run = await stack!.runToEnd({ type: 'shell', params: { script: 'echo one; echo two' } });
    expect(run.status).toBe('succeeded');
    const logs = await api<LogPageDto>('GET', `/api/runs/${run.id}/logs`);
    expect(logs.body.items.map((l) => l.text)).toEqual(expect.arrayContaining(['one', 'two']));
    const rerun = await api<RunDto>('POST', `/api/runs/${run.id}/rerun`, {});
    expect(rerun.status).toBe(201);

    const sleeper = await api<JobDto>('POST', '/api/jobs', { name: 'pooled sleeper', type: 'sleep', params: { seconds: 30 } });
    const sleeping = await api<RunDto>('POST', `/api/jobs/${sleeper.body.id}/runs`, {});
    await waitFor(async () => (await api<RunDto>('GET', `/api/runs/${sleeping.body.id}`)).body.status === 'running', 'the sleeper to run');
    expect((await api('POST', `/api/runs/${sleeping.body.id}/cancel`)).status).toBe(202);
    await waitFor(async () => (await api<RunDto>('GET', `/api/runs/${sleeping.body.id}`)).body.status === 'cancelled', 'the sleeper to be cancelled');
    await waitFor(async () => isFinalStatus((await api<RunDto>('GET', `/api/runs/${rerun.body.id}`)).body.status), 'the rerun to end');
    expect((await api<{ items: RunDto[] }>('GET', `/api/runs?jobId=${sleeper.body.id}`)).body.items).toHaveLength(1);
    expect((await api('DELETE', `/api/jobs/${sleeper.body.id}`)).status).toBe(204);
  });

  it('answers 50 concurrent starts with 201, and every run reaches a final state', async () => {
    const { api } = stack!;
    const job = await api<JobDto>('POST', '/api/jobs', { name: 'pooled burst', type: 'sleep', params: { seconds: 0 } });
    const started = await Promise.all(Array.from({ length: 50 }, () => api<RunDto>('POST', `/api/jobs/${job.body.id}/runs`, {})));
    expect(started.map((r) => r.status)).toEqual(Array(50).fill(201));
    await waitFor(
      async () => {
        const runs = (await api<{ items: RunDto[] }>('GET', `/api/runs?jobId=${job.body.id}&limit=100`)).body.items;
        return runs.length === 50 && runs.every((r) => isFinalStatus(r.status)) ? runs : null;
      },
      'the 50 runs to end',
      { timeoutMs: 90_000, everyMs: 250 },
    );
    const runs = (await api<{ items: RunDto[] }>('GET', `/api/runs?jobId=${job.body.id}&limit=100`)).body.items;
    expect(runs.map((r) => r.status)).toEqual(Array(50).fill('succeeded'));
  });
});

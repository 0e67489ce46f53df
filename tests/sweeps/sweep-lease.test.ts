import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { openCore, type Core } from '@jobflow/core';
import { createLogger, redisKeys, redisConnection } from '@jobflow/core/platform';
import { createTestDatabase, uniquePrefix } from '../support/db';
import { freePort, killAll, spawnWorker, until, type Proc } from '../support/processes';
import { startRedisServer } from '../support/redis-server';
import { openSql, type TestSql } from '../support/sql';
import { TEST_SECRETS_KEY } from '../support/stack';
import { waitFor } from '../support/wait';

/**
 * The periodic sweeps run in one process at a time, under a lease in
 * PostgreSQL, and ask Redis once per batch of runs. Redis is a server of the
 * file's own, so its command counts are this file's alone.
 */
const LEASE_MS = 3000;
const BACKLOG = 200;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let redisServer: Awaited<ReturnType<typeof startRedisServer>>;
let redis: Redis;
let sql: TestSql;
let env: Record<string, string>;
let jobId: string;
const prefix = uniquePrefix();

beforeAll(async () => {
  const redisPort = await freePort();
  redisServer = await startRedisServer(redisPort);
  database = await createTestDatabase();
  sql = openSql(database.url);
  redis = new Redis({ port: redisPort, host: '127.0.0.1' });
  env = {
    DATABASE_URL: database.url,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    REDIS_PREFIX: prefix,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    SECRETS_KEY: TEST_SECRETS_KEY,
    HEARTBEAT_MS: '300',
    STALL_INTERVAL_MS: '1000',
    SHUTDOWN_GRACE_MS: '1000',
    RECONCILE_INTERVAL_MS: '500',
    RECONCILE_QUEUED_GRACE_MS: '1000',
    SWEEP_LEASE_MS: String(LEASE_MS),
    SCHEDULER_ENABLED: 'false',
  };
  const [owner] = await sql<{ id: string }>(`insert into users (email, role, password_hash) values ('sweeps@example.com', 'admin', 'x') returning id`);
  const [job] = await sql<{ id: string }>(`insert into jobs (name, type, params, owner_id) values ('swept', 'sleep', '{"seconds": 0}', $1) returning id`, [
    owner!.id,
  ]);
  jobId = job!.id;
}, 60_000);

afterAll(async () => {
  await killAll();
  redis?.disconnect();
  await sql?.close();
  await database?.drop();
  await redisServer?.kill();
});

/** `count` queued runs, due a minute ago, whose queue jobs Redis never got (as after Redis lost its data). */
async function lostQueuedRuns(count: number): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    `insert into runs (job_id, status, params, max_attempts, trigger_kind, queued_at)
     select $1, 'queued', '{"seconds": 0}', 1, 'manual', now() - interval '1 minute' from generate_series(1, $2) returning id`,
    [jobId, count],
  );
  return rows.map((r) => r.id);
}

/** Calls per Redis command since the last reset, from INFO commandstats. */
async function commandCalls(): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls[m[1]!] = Number(m[2]);
  return calls;
}

const holderOf = async (sweep: string) =>
  (await sql<{ holder: string }>(`select holder from sweep_leases where name = $1 and expires_at > now()`, [sweep]))[0]?.holder ?? null;

interface SweepingWorker {
  id: string;
  proc: Proc;
  healthPort: number;
}

async function leaseMetric(w: SweepingWorker): Promise<number | null> {
  const text = await (await fetch(`http://127.0.0.1:${w.healthPort}/metrics`)).text();
  const m = /^jobflow_sweep_lease_held\{sweep="reconcile"\} (\d)$/m.exec(text);
  return m ? Number(m[1]) : null;
}

describe('sweeps under a lease', { timeout: 120_000 }, () => {
  it('three worker processes: one sweeps at a time, a killed holder is replaced once its lease expires, a stopped one hands over at once', async () => {
    const workers: SweepingWorker[] = await Promise.all(
      ['sweeper-a', 'sweeper-b', 'sweeper-c'].map(async (id) => {
        const healthPort = await freePort();
        return { id, healthPort, proc: await spawnWorker({ ...env, HEALTH_PORT: String(healthPort) }, id) };
      }),
    );
    const byHolder = (holder: string | null) => workers.find((w) => `worker:${w.id}` === holder);
    await until(async () => byHolder(await holderOf('reconcile')) !== undefined, 'a worker to hold the reconcile lease');

    // Every process's metric agrees with the lease row, look after look.
    for (let look = 0; look < 5; look++) {
      const holder = byHolder(await holderOf('reconcile'))!;
      const held = await Promise.all(workers.map(leaseMetric));
      expect(held).toEqual(workers.map((w) => (w === holder ? 1 : 0)));
      await new Promise((r) => setTimeout(r, 300));
    }

    // A backlog of runs Redis lost: repaired by the holder alone, with one HMGET per sweep instead of one HEXISTS per run.
    const first = byHolder(await holderOf('reconcile'))!;
    await redis.config('RESETSTAT');
    const lost = await lostQueuedRuns(BACKLOG);
    await waitFor(
      async () =>
        (await sql<{ n: number }>(`select count(*)::int as n from runs where id = any($1::uuid[]) and status = 'succeeded'`, [lost]))[0]!.n === BACKLOG,
      'the lost runs to be requeued and run',
      { timeoutMs: 60_000 },
    );
    const calls = await commandCalls();
    // The reconciler asks with one HMGET per sweep (HEXISTS calls come from Bee-Queue's own scripts as they add jobs).
    expect(calls.hmget).toBeGreaterThan(0);
    expect(calls.hmget).toBeLessThan(BACKLOG / 10);
    const repairers = workers.filter((w) => w.proc.output().includes('re-enqueueing queued runs that Redis no longer holds'));
    expect(repairers.map((w) => w.id)).toEqual([first.id]);

    // The holder dies: nobody takes the lease before it expires, somebody right after.
    const [lease] = await sql<{ holder: string; expires_at: Date }>(`select holder, expires_at from sweep_leases where name = 'reconcile'`);
    const dead = byHolder(lease!.holder)!;
    await dead.proc.kill();
    await until(async () => {
      const h = byHolder(await holderOf('reconcile'));
      return h !== undefined && h !== dead;
    }, 'another worker to take the lease over');
    const takenOverAtMs = Date.now();
    expect(takenOverAtMs).toBeGreaterThanOrEqual(lease!.expires_at.getTime());
    expect(takenOverAtMs).toBeLessThan(lease!.expires_at.getTime() + LEASE_MS);
    const second = byHolder(await holderOf('reconcile'))!;
    expect(await leaseMetric(second)).toBe(1);

    // The new holder repairs what Redis loses from then on.
    const lostAgain = await lostQueuedRuns(20);
    await waitFor(
      async () =>
        (await sql<{ n: number }>(`select count(*)::int as n from runs where id = any($1::uuid[]) and status = 'succeeded'`, [lostAgain]))[0]!.n === 20,
      'the second backlog to be repaired',
      { timeoutMs: 30_000 },
    );

    // A holder that stops hands its leases back: the last worker holds them before the old lease would have expired.
    const [before] = await sql<{ expires_at: Date }>(`select expires_at from sweep_leases where name = 'reconcile'`);
    expect(await second.proc.stop()).toBe(0);
    const last = workers.find((w) => w !== dead && w !== second)!;
    await until(async () => (await holderOf('reconcile')) === `worker:${last.id}`, 'the last worker to take the lease over');
    const [handedOver] = await sql<{ expires_at: Date }>(`select expires_at from sweep_leases where name = 'reconcile'`);
    expect(handedOver!.expires_at.getTime() - LEASE_MS).toBeLessThan(before!.expires_at.getTime());
    await last.proc.stop();
    expect(await sql(`select name from sweep_leases`)).toEqual([]);
  });

  it('the reconcile sweeps cost Redis the same with six processes as with one', async () => {
    // A standing backlog: queued runs nobody consumes (no workers here), and runs held by a worker that still beats.
    await lostQueuedRuns(500);
    await redis.set(redisKeys(prefix).worker('busy-worker'), '1');
    await sql(
      `insert into runs (job_id, status, params, max_attempts, trigger_kind, queued_at, started_at, worker_id, version)
       select $1, 'running', '{}', 1, 'manual', now(), now(), 'busy-worker', 2 from generate_series(1, 500)`,
      [jobId],
    );
    const measure = async (processes: number) => {
      const cores: Core[] = [];
      for (let i = 0; i < processes; i++) {
        cores.push(
          await openCore({
            databaseUrl: database.url,
            dbPoolMax: 2,
            redisConnection: redisConnection(env.REDIS_URL!),
            redisPrefix: prefix,
            backoff: { baseMs: 200, capMs: 1000 },
            cancelGraceMs: 4000,
            reconcile: { intervalMs: 500, queuedGraceMs: 1000 },
            sweepLeaseMs: LEASE_MS,
            sweepHolder: `measured-${processes}-${i}`,
            log: createLogger('sweep-measure', 'error'),
          }),
        );
      }
      await Promise.all(cores.map((c) => c.sweeper.start()));
      // The first sweep puts the backlog on the queue; then every sweep finds it there.
      await new Promise((r) => setTimeout(r, 1500));
      await redis.config('RESETSTAT');
      const windowMs = 5000;
      await new Promise((r) => setTimeout(r, windowMs));
      const calls = await commandCalls();
      await Promise.all(cores.map((c) => c.close()));
      const sweepCalls = (calls.hmget ?? 0) + (calls.mget ?? 0) + (calls.hexists ?? 0);
      const total = Object.values(calls).reduce((a, b) => a + b, 0);
      return { processes, sweepCalls, total, periods: windowMs / 500 };
    };
    const one = await measure(1);
    const six = await measure(6);
    console.log(`Redis commands in ${one.periods} reconcile periods (1000 runs in the backlog): ${JSON.stringify([one, six])}`);
    expect(one.sweepCalls).toBeGreaterThan(0);
    expect(six.sweepCalls).toBeLessThanOrEqual(one.sweepCalls * 1.5 + 2);
  });
});

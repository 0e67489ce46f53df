import { randomUUID } from 'node:crypto';
import { openCore, type Core } from '@jobflow/core';
import { createLogger, redisConnection } from '@jobflow/core/platform';
import { createTestDatabase, uniquePrefix } from './db';
import { removeRedisKeys } from './redis';
import { track, untrack } from './leak-check';
import { openSql, type TestSql } from './sql';

/** The run engine on a database of its own, without a server or a worker: for tests of the store itself. */
export interface EngineUnderTest {
  core: Core;
  runs: Core['runs'];
  /** Ad-hoc SQL on the same database (`$1, $2, ...`). */
  sql: TestSql;
  /** Stores a user and a job of `type` owned by it, as the API would have; returns the job's id. */
  createJob(job?: {
    type?: string;
    params?: Record<string, unknown>;
    maxAttempts?: number;
    timeoutSec?: number | null;
    maxConcurrentRuns?: number | null;
  }): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens the engine as server and worker processes do (`openCore`: both pools,
 * Redis, the run queue, the event listeners) on a database cloned from the
 * migrated template and a Redis prefix of its own.
 */
export async function openEngine(): Promise<EngineUnderTest> {
  const database = await createTestDatabase();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisPrefix = uniquePrefix();
  const core = await openCore({
    databaseUrl: database.url,
    dbPoolMax: 4,
    redisConnection: redisConnection(redisUrl),
    redisPrefix,
    backoff: { baseMs: 200, capMs: 1000 },
    cancelGraceMs: 4000,
    reconcile: { intervalMs: 1000, queuedGraceMs: 2000 },
    sweepLeaseMs: 3000,
    log: createLogger('engine-test', 'error'),
  });
  const sql = openSql(database.url);
  let ownerId: string | null = null;
  const engine: EngineUnderTest = {
    core,
    runs: core.runs,
    sql,
    async createJob(job = {}) {
      ownerId ??= (
        await sql<{ id: string }>(`insert into users (email, role, password_hash) values ($1, 'admin', 'x') returning id`, [`${randomUUID()}@example.com`])
      )[0]!.id;
      const [row] = await sql<{ id: string }>(
        `insert into jobs (name, type, params, max_attempts, timeout_sec, max_concurrent_runs, owner_id) values ($1, $2, $3, $4, $5, $6, $7) returning id`,
        [
          `job ${randomUUID()}`,
          job.type ?? 'sleep',
          job.params ?? { seconds: 0 },
          job.maxAttempts ?? 1,
          job.timeoutSec ?? null,
          job.maxConcurrentRuns ?? null,
          ownerId,
        ],
      );
      return row!.id;
    },
    async close() {
      await core.close();
      await sql.close();
      await database.drop();
      await removeRedisKeys(redisUrl, redisPrefix);
      untrack(engine);
    },
  };
  return track(engine, 'a run engine on its own database');
}

import { createRequire } from 'node:module';
import type { BenchEnv } from './env';
import { startHost, type Host } from './proc';
import { removeKeys } from './redis-keys';

const require = createRequire(import.meta.url);

/** The installed version of a package (the exact pin in package.json). */
export const versionOf = (pkg: string): string => (require(`${pkg}/package.json`) as { version: string }).version;

/** What a peer's own store says about one repeat's jobs once its worker ran them all. */
export interface Stored {
  /** Jobs recorded as completed (graphile-worker deletes a completed job: for it, the jobs gone from its table). */
  completed: number;
  /** Jobs not completed yet (queued, locked or active). */
  pending: number;
  failed: number;
}

/**
 * A job queue library measured beside Jobflow in the `runs` benchmark: a
 * producer process that adds jobs in bulk and a worker process with a no-op
 * handler, on the bench's PostgreSQL or Redis, in a schema or key prefix of
 * its own that `stop()` removes.
 */
export interface QueuePeer {
  /** The side's id in the results (`graphile-worker`, `pg-boss`, `bullmq`). */
  side: string;
  /** Name and version, for the report. */
  name: string;
  /** How it is set up, for the report. */
  settings: string;
  isPostgres: boolean;
  producer: Host;
  worker: Host;
  /** The store's view of the repeat's jobs (read outside the peer's processes, so not counted as its statements). */
  stored(tag: string, count: number): Promise<Stored>;
  /** Removes the completed jobs a peer keeps, so every repeat starts from an empty queue. */
  clear(): Promise<void>;
  /** Stops both processes and removes every table or key the peer created. */
  stop(): Promise<void>;
}

type PeerOptions = { concurrency: number; bulk: number };

/** Starts the worker first (it installs the schema), then the producer. */
async function startPair(side: string, args: Record<string, unknown>): Promise<{ producer: Host; worker: Host }> {
  const worker = await startHost(`${side} worker`, side, { ...args, role: 'worker' });
  try {
    const producer = await startHost(`${side} producer`, side, { ...args, role: 'producer' });
    return { producer, worker };
  } catch (e) {
    await worker.stop();
    throw e;
  }
}

async function dropSchema(env: BenchEnv, schema: string): Promise<void> {
  await env.db.query(`drop schema if exists ${schema} cascade`);
  const { rows } = await env.db.query(`select count(*)::int as n from pg_namespace where nspname = $1`, [schema]);
  if (rows[0].n) throw new Error(`schema ${schema} is still there`);
}

export async function startGraphileWorker(env: BenchEnv, opts: PeerOptions): Promise<QueuePeer> {
  const schema = env.newPrefix('gw');
  const { producer, worker } = await startPair('graphile-worker', { databaseUrl: env.databaseUrl, schema, concurrency: opts.concurrency });
  return {
    side: 'graphile-worker',
    name: `graphile-worker ${versionOf('graphile-worker')}`,
    settings: `concurrency ${opts.concurrency}, pool ${opts.concurrency}, library defaults otherwise (LISTEN/NOTIFY, no local queue or completion batching), addJobs ${opts.bulk} per call`,
    isPostgres: true,
    producer,
    worker,
    async stored(tag, count) {
      const { rows } = await env.db.query(
        `select count(*) filter (where last_error is null)::int as pending, count(*) filter (where last_error is not null)::int as failed
         from ${schema}._private_jobs where payload->>'id' like $1`,
        [`${tag}-%`],
      );
      return { completed: count - rows[0].pending - rows[0].failed, pending: rows[0].pending, failed: rows[0].failed };
    },
    async clear() {},
    async stop() {
      await producer.stop();
      await worker.stop();
      await dropSchema(env, schema);
    },
  };
}

export async function startPgBoss(env: BenchEnv, opts: PeerOptions & { batchSize: number }): Promise<QueuePeer> {
  const schema = env.newPrefix('pgboss');
  const queue = 'noop';
  const { producer, worker } = await startPair('pg-boss', {
    databaseUrl: env.databaseUrl,
    schema,
    queue,
    concurrency: opts.concurrency,
    batchSize: opts.batchSize,
  });
  return {
    side: 'pg-boss',
    name: `pg-boss ${versionOf('pg-boss')}`,
    settings: `one work() loop, batchSize ${opts.batchSize}, polling every 0.5 s (its minimum), ${opts.concurrency} handlers at once within a batch, insert ${opts.bulk} per call`,
    isPostgres: true,
    producer,
    worker,
    async stored(tag) {
      const { rows } = await env.db.query(
        `select count(*) filter (where state = 'completed')::int as completed, count(*) filter (where state = 'failed')::int as failed,
                count(*) filter (where state not in ('completed', 'failed'))::int as pending
         from ${schema}.job where name = $1 and data->>'id' like $2`,
        [queue, `${tag}-%`],
      );
      return rows[0];
    },
    async clear() {
      await env.db.query(`delete from ${schema}.job where name = $1 and state = 'completed'`, [queue]);
    },
    async stop() {
      await producer.stop();
      await worker.stop();
      await dropSchema(env, schema);
    },
  };
}

export async function startBullMQ(env: BenchEnv, opts: PeerOptions): Promise<QueuePeer> {
  const prefix = env.newPrefix('bullmq');
  const queue = 'noop';
  const { producer, worker } = await startPair('bullmq', { redisUrl: env.redisUrl, prefix, queue, concurrency: opts.concurrency });
  return {
    side: 'bullmq',
    name: `BullMQ ${versionOf('bullmq')}`,
    settings: `concurrency ${opts.concurrency}, library defaults otherwise (completed jobs kept), addBulk ${opts.bulk} per call`,
    isPostgres: false,
    producer,
    worker,
    async stored() {
      const c = await producer.call<Record<string, number>>('counts');
      const pending = Object.entries(c).reduce((sum, [state, n]) => (state === 'completed' || state === 'failed' ? sum : sum + n), 0);
      return { completed: c.completed ?? 0, pending, failed: c.failed ?? 0 };
    },
    async clear() {
      await producer.call('clean');
    },
    async stop() {
      await producer.stop();
      await worker.stop();
      const left = await removeKeys(env.redisUrl, `${prefix}:*`);
      if (left) throw new Error(`${left} Redis keys under ${prefix}: could not be removed`);
    },
  };
}

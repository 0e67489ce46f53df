import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { redisConnection } from '../platform';
import { createBeeQueue, createRunQueue, type RunQueue } from './run.queue';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface NodeRedisClient {
  stream: { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  hset(key: string, field: string, value: string, cb: (e: Error | null) => void): void;
  hget(key: string, field: string, cb: (e: Error | null, v: string | null) => void): void;
  del(key: string, cb: (e: Error | null) => void): void;
  multi(): { hget(key: string, field: string): unknown; exec(cb: (e: Error | null, v: string[]) => void): void };
}

/** Counts the writes that reach the client's socket (one per system call: `_write` for one chunk, `_writev` for many). */
function countSocketWrites(client: NodeRedisClient) {
  const counts = { write: 0, writev: 0 };
  const stream = client.stream;
  const write = stream._write.bind(stream);
  const writev = stream._writev.bind(stream);
  stream._write = (...a) => (counts.write++, write(...a));
  stream._writev = (...a) => (counts.writev++, writev(...a));
  return counts;
}

const call = <T>(f: (cb: (e: Error | null, v?: T) => void) => void) => new Promise<T>((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v as T))));

let queues: RunQueue[] = [];
afterEach(async () => {
  for (const q of queues) await q.close(1000);
  queues = [];
});

describe('the Bee-Queue connection', () => {
  it('sends the commands of one turn in one socket write, with every reply matched to its command', async () => {
    const prefix = `jftest-queue-${randomBytes(4).toString('hex')}`;
    const queue = createRunQueue({ redis: redisConnection(REDIS_URL), prefix, role: 'producer' });
    queues.push(queue);
    await queue.ready();
    await new Promise((r) => setImmediate(r));
    const client = (queue as unknown as { client: NodeRedisClient }).client;
    const key = `${prefix}:writes`;
    await Promise.all(Array.from({ length: 20 }, (_, i) => call((cb) => client.hset(key, `f${i}`, `v${i}`, cb))));

    const counts = countSocketWrites(client);
    // A transaction (Bee-Queue finishes a job with one) goes in the same write, first or not.
    const multi = client.multi();
    multi.hget(key, 'f3');
    multi.hget(key, 'f7');
    const inMulti = call<string[]>((cb) => multi.exec(cb));
    const values = Promise.all(Array.from({ length: 20 }, (_, i) => call<string | null>((cb) => client.hget(key, `f${i}`, cb))));

    expect(await values).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    expect(await inMulti).toEqual(['v3', 'v7']);
    expect(counts).toEqual({ write: 0, writev: 1 });
    await call((cb) => client.del(key, cb));
  });

  it('still processes every job, in order, with a worker taking them one at a time', async () => {
    const prefix = `jftest-queue-${randomBytes(4).toString('hex')}`;
    const producer = createBeeQueue<{ n: number }>('ordered', { redis: redisConnection(REDIS_URL), prefix, role: 'producer' });
    const worker = createBeeQueue<{ n: number }>('ordered', { redis: redisConnection(REDIS_URL), prefix, role: 'worker' });
    queues.push(producer as unknown as RunQueue, worker as unknown as RunQueue);
    await Promise.all([producer.ready(), worker.ready()]);
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => {
      void worker.process(1, async (job) => {
        seen.push(job.data.n);
        if (seen.length === 30) resolve();
      });
    });
    const errors = await producer.saveAll(Array.from({ length: 30 }, (_, n) => producer.createJob({ n })));
    expect(errors.size).toBe(0);
    await done;
    expect(seen).toEqual(Array.from({ length: 30 }, (_, n) => n));
    const client = (
      worker as unknown as {
        client: { keys(p: string, cb: (e: Error | null, k: string[]) => void): void; del(k: string[], cb: (e: Error | null) => void): void };
      }
    ).client;
    const keys = await call<string[]>((cb) => client.keys(`${prefix}:*`, cb));
    if (keys.length) await call((cb) => client.del(keys, cb));
  });
});

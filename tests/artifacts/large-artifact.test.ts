import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '@jobflow/core/platform';
import { startS3Server } from '../support/s3-server';
import { startStack, type Stack } from '../support/stack';

const FILE_BYTES = 200 * 1024 * 1024;
const PIECE_BYTES = 64 * 1024;
/** How much more memory this process may hold while it streams 200 MB up and back down: far less than the file. */
const MAX_GROWTH_BYTES = 64 * 1024 * 1024;

/** 200 MB that differ piece by piece (so a chunk out of place changes the hash), made as they are read. */
async function* generated(hash: ReturnType<typeof createHash>) {
  for (let i = 0; i < FILE_BYTES / PIECE_BYTES; i++) {
    const piece = Buffer.alloc(PIECE_BYTES, i % 251);
    piece.writeUInt32BE(i, 0);
    hash.update(piece);
    yield piece;
  }
}

/** A full garbage collection, so what is measured is memory held, not garbage not yet collected. */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Memory the process holds for JavaScript: its heap, and the buffers outside it. */
const held = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/**
 * The most memory held while `fn` runs, above what was held when it started,
 * sampled every 50 ms. A sample that looks high is taken again after a full
 * garbage collection: garbage awaiting collection is not memory held.
 */
async function memoryGrowth<T>(fn: () => Promise<T>): Promise<{ value: T; growth: number }> {
  collectGarbage();
  const start = held();
  let peak = start;
  const sampler = setInterval(() => {
    let now = held();
    if (now - start > MAX_GROWTH_BYTES / 4) {
      collectGarbage();
      now = held();
    }
    peak = Math.max(peak, now);
  }, 50);
  try {
    const value = await fn();
    return { value, growth: peak - start };
  } finally {
    clearInterval(sampler);
  }
}

describe.each(['postgres', 's3'] as const)('a 200 MB artifact in %s', (store) => {
  let stack: Stack;
  let s3: Awaited<ReturnType<typeof startS3Server>> | null = null;

  beforeAll(async () => {
    if (store === 's3') s3 = await startS3Server();
    stack = await startStack({ env: { ...s3?.env, ARTIFACT_MAX_BYTES: String(FILE_BYTES) }, workers: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await s3?.stop();
  });

  it('streams up and back down with this process growing by far less than the file', { timeout: 300_000 }, async () => {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 30 } });
    const run = await stack.startRun(job.id);
    await stack.app.deps.redis.set(redisKeys(stack.redisPrefix).worker('test'), String(Date.now()), 'PX', 600_000);
    await stack.app.deps.runs.claim({ runId: run.id, attempt: 1, workerId: 'test', queueJobId: 'test' });

    const sent = createHash('sha256');
    const up = await memoryGrowth(() => stack.app.deps.artifacts.attach({ runId: run.id, attempt: 1, name: 'big.bin', body: generated(sent) }));
    expect(up.value.size).toBe(FILE_BYTES);

    const down = await memoryGrowth(async () => {
      const res = await fetch(`${stack.baseUrl}/api/runs/${run.id}/artifacts/big.bin`, { headers: { authorization: `Bearer ${stack.admin.token}` } });
      expect(res.headers.get('content-length')).toBe(String(FILE_BYTES));
      const received = createHash('sha256');
      let bytes = 0;
      for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
        received.update(piece);
        bytes += piece.length;
      }
      return { bytes, hash: received.digest('hex') };
    });
    expect(down.value).toEqual({ bytes: FILE_BYTES, hash: sent.digest('hex') });
    console.info(`${store}: memory held grew ${(up.growth / 2 ** 20).toFixed(1)} MiB uploading, ${(down.growth / 2 ** 20).toFixed(1)} MiB downloading 200 MiB`);
    expect(up.growth).toBeLessThan(MAX_GROWTH_BYTES);
    expect(down.growth).toBeLessThan(MAX_GROWTH_BYTES);
  });
});

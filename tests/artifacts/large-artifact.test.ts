import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '@jobflow/core/platform';
import { memoryGrowth as measuredGrowth } from '../support/memory';
import { startS3Server } from '../support/s3-server';
import { LOOPBACK_OPEN, startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const FILE_BYTES = 200 * 1024 * 1024;
const PIECE_BYTES = 64 * 1024;
/** How much more memory this process may hold while it streams 200 MB up and back down: far less than the file. */
const MAX_GROWTH_BYTES = 64 * 1024 * 1024;

const memoryGrowth = <T>(fn: () => Promise<T>) => measuredGrowth(fn, MAX_GROWTH_BYTES / 4);

/** `bytes` (200 MB unless told) that differ piece by piece (so a chunk out of place changes the hash), made as they are read. */
async function* generated(hash: ReturnType<typeof createHash>, bytes = FILE_BYTES) {
  for (let i = 0; i < bytes / PIECE_BYTES; i++) {
    const piece = Buffer.alloc(PIECE_BYTES, i % 251);
    piece.writeUInt32BE(i, 0);
    hash.update(piece);
    yield piece;
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

  it('an http job keeps a 100 MiB response body with this process growing by far less than the body', { timeout: 300_000 }, async () => {
    const bodyBytes = FILE_BYTES / 2;
    const sent = createHash('sha256');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      void pipeline(Readable.from(generated(sent, bodyBytes)), res).catch(() => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const worker = await stack.addWorker(LOOPBACK_OPEN);
    try {
      const job = await stack.createJob({
        type: 'http',
        params: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dump`, saveBodyAs: 'dump.bin', maxResponseBytes: bodyBytes },
      });
      const run = await stack.startRun(job.id);
      const kept = await memoryGrowth(() =>
        waitFor(async () => ['succeeded', 'failed'].includes((await stack.getRun(run.id)).status), 'the run to end', { timeoutMs: 240_000, everyMs: 200 }),
      );
      expect((await stack.getRun(run.id)).result).toMatchObject({ status: 200, bytes: bodyBytes, bodyArtifact: 'dump.bin' });

      const res = await fetch(`${stack.baseUrl}/api/runs/${run.id}/artifacts/dump.bin`, { headers: { authorization: `Bearer ${stack.admin.token}` } });
      const received = createHash('sha256');
      for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) received.update(piece);
      expect(received.digest('hex')).toBe(sent.digest('hex'));
      console.info(`${store}: memory held grew ${(kept.growth / 2 ** 20).toFixed(1)} MiB keeping a 100 MiB response body`);
      expect(kept.growth).toBeLessThan(MAX_GROWTH_BYTES);
    } finally {
      await worker.close();
      stack.workers.splice(stack.workers.indexOf(worker), 1);
      server.closeAllConnections();
      server.close();
    }
  });
});

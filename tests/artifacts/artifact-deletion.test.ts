import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifacts } from '@jobflow/core/artifacts';
import { createLease } from '@jobflow/core/db';
import { createLogger } from '@jobflow/core/platform';
import { createRetentionSweeper, DEFAULT_RETENTION_OPTIONS } from '@jobflow/core/runs';
import type { ArtifactListDto } from '@jobflow/shared';
import { freePort } from '../support/processes';
import { startS3Server } from '../support/s3-server';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

/**
 * Artifacts stored in an S3 bucket leave it with their runs: when a job is
 * deleted with its runs, when retention purges runs, and later when the
 * bucket could not be reached as they went.
 */
describe('artifact objects leave the bucket with their runs', () => {
  let stack: Stack;
  let s3: Awaited<ReturnType<typeof startS3Server>>;

  beforeAll(async () => {
    s3 = await startS3Server();
    stack = await startStack({ env: s3.env, workers: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await s3?.stop();
  });

  const queuedDeletions = async () => (await stack.sql<{ count: number }>('select count(*)::int as count from artifact_object_deletions'))[0]!.count;
  const artifactsOf = async (runId: string) =>
    (await stack.request<ArtifactListDto>('GET', `/api/runs/${runId}/artifacts`, { token: stack.admin.token })).body.items?.map((a) => a.name) ?? [];

  /** A shell job that leaves two files in its artifacts folder. */
  const reportJob = (keep: { keepRuns?: number } = {}) =>
    stack.createJob({
      type: 'shell',
      params: { script: 'echo "a,b" > "$JOBFLOW_ARTIFACTS_DIR/data.csv"; echo "<p>report</p>" > "$JOBFLOW_ARTIFACTS_DIR/report.html"' },
      ...keep,
    });

  /** Runs the job to its end with a worker taking runs (no retention sweeps of its own unless asked), then stops the worker. */
  async function runToEnd(jobId: string): Promise<string> {
    const worker = await stack.addWorker();
    try {
      const run = await stack.startRun(jobId);
      await waitFor(async () => (await stack.getRun(run.id)).status === 'succeeded', 'the run to succeed');
      expect(await artifactsOf(run.id)).toEqual(['data.csv', 'report.html']);
      return run.id;
    } finally {
      await worker.close();
      stack.workers.splice(stack.workers.indexOf(worker), 1);
    }
  }

  it('deleting a job deletes its runs’ objects from the bucket', async () => {
    const job = await reportJob();
    const before = s3.objectFiles().length;
    await runToEnd(job.id);
    await runToEnd(job.id);
    expect(s3.objectFiles().length).toBe(before + 4);

    const deleted = await stack.request('DELETE', `/api/jobs/${job.id}`, { token: stack.admin.token });
    expect(deleted.status).toBe(204);
    await waitFor(() => s3.objectFiles().length === before, 'the job’s four objects to leave the bucket');
    await waitFor(async () => (await queuedDeletions()) === 0, 'the deletion queue to empty');
    const rows = await stack.sql<{ count: number }>('select count(*)::int as count from run_artifacts');
    expect(rows[0]!.count).toBe(0);
  });

  it('the worker’s retention sweep deletes the objects of the runs it purges (keepRuns) and keeps the others', async () => {
    const job = await reportJob({ keepRuns: 1 });
    const before = s3.objectFiles().length;
    const older = await runToEnd(job.id);
    expect(s3.objectFiles().length).toBe(before + 2);
    const newer = await runToEnd(job.id);

    // A worker whose retention sweeps come every second purges the older run (unless the sweep
    // every worker makes as it starts already did, the newer run being queued by then).
    const sweeping = await stack.addWorker({ retention: { ...DEFAULT_RETENTION_OPTIONS, intervalMs: 1000, pauseMs: 0 } });
    try {
      await waitFor(async () => (await stack.request('GET', `/api/runs/${older}`, { token: stack.admin.token })).status === 404, 'the older run to be purged');
      await waitFor(() => s3.objectFiles().length === before + 2, 'the older run’s two objects to leave the bucket');
    } finally {
      await sweeping.close();
      stack.workers.splice(stack.workers.indexOf(sweeping), 1);
    }
    expect(await artifactsOf(newer)).toEqual(['data.csv', 'report.html']);
    const kept = await fetch(`${stack.baseUrl}/api/runs/${newer}/artifacts/data.csv`, { headers: { authorization: `Bearer ${stack.admin.token}` } });
    expect([kept.status, await kept.text()]).toEqual([200, 'a,b\n']);
    expect(await queuedDeletions()).toBe(0);
  });

  it('a purge while the bucket is unreachable still deletes the runs; their objects go on a later sweep', async () => {
    const job = await reportJob();
    const before = s3.objectFiles().length;
    const runId = await runToEnd(job.id);
    await stack.sql(`update runs set finished_at = now() - interval '40 days' where id = $1`, [runId]);

    // The same bucket settings but an endpoint where nothing listens: every request to the bucket fails.
    const config = stack.app.deps.config.artifacts;
    const unreachable = createArtifacts({
      db: stack.app.deps.db,
      live: stack.app.deps.live,
      options: { ...config, s3: { ...config.s3!, endpoint: `http://127.0.0.1:${await freePort()}` } },
    });
    const log = createLogger('artifact-deletion-test', 'error');
    const sweeper = (removeDeletedContent: () => Promise<{ removed: number }>) =>
      createRetentionSweeper({
        db: stack.app.deps.db,
        lease: createLease(stack.app.deps.db, 'artifact-deletion-test', 'this-test', 60_000),
        log,
        options: { ...DEFAULT_RETENTION_OPTIONS, retentionDays: 30, pauseMs: 0 },
        removeDeletedContent,
      });
    try {
      const down = await sweeper(() => unreachable.removeDeletedObjects()).sweep();
      expect(down).toMatchObject({ runs: 1, objects: 0 });
      expect((await stack.sql('select 1 from runs where id = $1', [runId])).length).toBe(0);
      expect(s3.objectFiles().length).toBe(before + 2);
      const queued = await stack.sql<{ failures: number; lastError: string | null }>(
        'select failures, last_error as "lastError" from artifact_object_deletions',
      );
      expect(queued.map((q) => q.failures)).toEqual([1, 1]);
      expect(queued[0]!.lastError).toBeTruthy();
    } finally {
      await unreachable.close();
    }

    const up = await sweeper(() => stack.app.deps.artifacts.removeDeletedObjects()).sweep();
    expect(up).toMatchObject({ runs: 0, objects: 2 });
    expect(s3.objectFiles().length).toBe(before);
    expect(await queuedDeletions()).toBe(0);
  });

  it('a bucket without DeleteObjects (it answers 501) gets one DeleteObject per object', async () => {
    const job = await reportJob();
    const before = s3.objectFiles().length;
    const runId = await runToEnd(job.id);
    expect(s3.objectFiles().length).toBe(before + 2);

    // In front of the bucket: a server that has no DeleteObjects, as some S3-compatible servers have not.
    const seen: string[] = [];
    const target = new URL(s3.endpoint);
    const front = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.method === 'POST' && /[?&]delete(=|&|$)/.test(req.url ?? '')) {
        req.resume();
        res.writeHead(501, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>not here</Message></Error>');
        return;
      }
      const onward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(onward);
    });
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    const config = stack.app.deps.config.artifacts;
    const withoutBatchDelete = createArtifacts({
      db: stack.app.deps.db,
      live: stack.app.deps.live,
      options: { ...config, s3: { ...config.s3!, endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}` } },
    });
    try {
      await stack.sql('delete from runs where id = $1', [runId]);
      expect(await withoutBatchDelete.removeDeletedObjects()).toEqual({ removed: 2, failed: 0 });
      expect(s3.objectFiles().length).toBe(before);
      expect(await queuedDeletions()).toBe(0);
      // One DeleteObjects asked (and refused), then one DeleteObject for each object (a request the SDK retried counts once).
      expect(new Set(seen.filter((r) => r.startsWith('POST'))).size).toBe(1);
      expect(new Set(seen.filter((r) => r.startsWith('DELETE'))).size).toBe(2);
    } finally {
      await withoutBatchDelete.close();
      front.closeAllConnections();
      front.close();
    }
  });
});

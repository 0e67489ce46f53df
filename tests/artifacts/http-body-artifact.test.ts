import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactListDto, RunDto } from '@jobflow/shared';
import { startS3Server } from '../support/s3-server';
import { LOOPBACK_OPEN, startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

type Store = 'postgres' | 's3';

/** ARTIFACT_MAX_BYTES of these stacks: small enough that a test streams past it quickly. */
const MAX_ARTIFACT_BYTES = 3 * 1024 * 1024;

/** `n` bytes of CSV-like text, the same for the same `n`, sent as many chunks (no Content-Length: a chunked body). */
function* csvChunks(n: number): Generator<Buffer> {
  let sent = 0;
  for (let row = 0; sent < n; row++) {
    const rows = Array.from({ length: 1000 }, (_, i) => `${row * 1000 + i},region-${(row * 1000 + i) % 7},${(row * 7919 + i) % 10_000}\n`).join('');
    const chunk = Buffer.from(rows).subarray(0, n - sent);
    sent += chunk.length;
    yield chunk;
  }
}

describe.each(['postgres', 's3'] as Store[])('the http job type keeps the response body as an artifact (%s)', (store) => {
  let stack: Stack;
  let s3: Awaited<ReturnType<typeof startS3Server>> | null = null;
  let server: Server;
  let base: string;
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

  beforeAll(async () => {
    if (store === 's3') s3 = await startS3Server();
    stack = await startStack({ env: { ...s3?.env, ARTIFACT_MAX_BYTES: String(MAX_ARTIFACT_BYTES) }, worker: LOOPBACK_OPEN });
    server = createServer((req, res) => {
      const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (route) route(req, res);
      else res.writeHead(404).end('no route');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => routes.clear());
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await stack?.stop();
    await s3?.stop();
  });

  const artifactsOf = async (runId: string) =>
    (await stack.request<ArtifactListDto>('GET', `/api/runs/${runId}/artifacts`, { token: stack.admin.token })).body.items.map((a) => [
      a.name,
      a.size,
      a.contentType,
    ]);
  const download = async (runId: string, name: string) => {
    const res = await fetch(`${stack.baseUrl}/api/runs/${runId}/artifacts/${encodeURIComponent(name)}`, {
      headers: { authorization: `Bearer ${stack.admin.token}` },
    });
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };
  async function runToEnd(job: { params: Record<string, unknown>; maxAttempts?: number }): Promise<RunDto> {
    const created = await stack.createJob({ type: 'http', ...job });
    const run = await stack.startRun(created.id);
    await waitFor(async () => ['succeeded', 'failed'].includes((await stack.getRun(run.id)).status), 'the run to end');
    return stack.getRun(run.id);
  }
  const logOf = async (runId: string) => (await stack.request<string>('GET', `/api/runs/${runId}/logs.txt`, { token: stack.admin.token })).body;

  it('streams the whole body to an artifact named saveBodyAs, with the response’s Content-Type', async () => {
    const size = 2_500_000;
    const sent = createHash('sha256');
    routes.set('/export', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      for (const chunk of csvChunks(size)) {
        sent.update(chunk);
        res.write(chunk);
      }
      res.end();
    });

    const run = await runToEnd({ params: { url: `${base}/export`, saveBodyAs: 'export.csv', maxResponseBytes: 10_000_000 } });

    expect(run.status).toBe('succeeded');
    expect(run.result).toMatchObject({ status: 200, bytes: size, bodyArtifact: 'export.csv' });
    expect(await artifactsOf(run.id)).toEqual([['export.csv', size, 'text/csv; charset=utf-8']]);
    const body = await download(run.id, 'export.csv');
    expect(createHash('sha256').update(body).digest('hex')).toBe(sent.digest('hex'));
    expect(body.subarray(0, 20).toString()).toBe('0,region-0,0\n1,regio');
    expect(await logOf(run.id)).toContain(`kept the response body as artifact "export.csv" (${size} bytes)`);
  });

  it('keeps the body of a failed attempt too, and a retry keeps its own under the attempt’s name', async () => {
    let calls = 0;
    routes.set('/status', (_req, res) => {
      if (++calls === 1) res.writeHead(503, { 'content-type': 'application/json' }).end('{"busy":true}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });

    const run = await runToEnd({ params: { url: `${base}/status`, saveBodyAs: 'status.json' }, maxAttempts: 2 });

    expect([run.status, run.attempt]).toEqual(['succeeded', 2]);
    expect(run.result).toMatchObject({ status: 200, bodyArtifact: 'status.attempt-2.json' });
    expect(await artifactsOf(run.id)).toEqual([
      ['status.json', 13, 'application/json'],
      ['status.attempt-2.json', 11, 'application/json'],
    ]);
    expect((await download(run.id, 'status.json')).toString()).toBe('{"busy":true}');
    expect((await download(run.id, 'status.attempt-2.json')).toString()).toBe('{"ok":true}');
  });

  it('a body past ARTIFACT_MAX_BYTES fails the run and keeps nothing; the response is not read to its end', async () => {
    const filesBefore = s3?.objectFiles().length ?? 0;
    let isClosed = false;
    let written = 0;
    routes.set('/endless', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.on('close', () => (isClosed = true));
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (!isClosed && written < 200 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });

    const run = await runToEnd({ params: { url: `${base}/endless`, saveBodyAs: 'dump.bin', maxResponseBytes: 268_435_456 } });

    expect(run.status).toBe('failed');
    expect(run.error?.message).toMatch(/^response body not kept: "dump.bin" is larger than ARTIFACT_MAX_BYTES \(3 MiB\)/);
    expect(run.result).not.toHaveProperty('bodyArtifact');
    expect(await artifactsOf(run.id)).toEqual([]);
    await waitFor(() => isClosed, 'the worker to close the response');
    // Reading stopped near the cap: far from the 200 MiB the server would have sent.
    expect(written).toBeLessThan(100 * 1024 * 1024);
    if (s3) expect(s3.objectFiles().length).toBe(filesBefore);
  });

  it('a body past maxResponseBytes fails the run and keeps nothing of it', async () => {
    const filesBefore = s3?.objectFiles().length ?? 0;
    routes.set('/big', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      for (const chunk of csvChunks(200_000)) res.write(chunk);
      res.end();
    });

    const run = await runToEnd({ params: { url: `${base}/big`, saveBodyAs: 'big.csv', maxResponseBytes: 100_000 } });

    expect(run.status).toBe('failed');
    expect(run.error?.message).toBe('response body larger than maxResponseBytes (100000 bytes): nothing kept');
    expect(run.result).toMatchObject({ isTruncated: true, bodyPreview: expect.stringMatching(/^0,region-0,0\n/) });
    expect(await artifactsOf(run.id)).toEqual([]);
    if (s3) expect(s3.objectFiles().length).toBe(filesBefore);
  });

  it('refuses a saveBodyAs that could leave a folder when the job is saved', async () => {
    const res = await stack.request('POST', '/api/jobs', {
      token: stack.admin.token,
      body: { name: 'escape', type: 'http', params: { url: `${base}/x`, saveBodyAs: '../../etc/passwd' } },
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain('/params/saveBodyAs');
  });
});

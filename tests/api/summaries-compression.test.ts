import http from 'node:http';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, JobSummaryDto, Page, RunDto, RunSummaryDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { subscribe } from '../support/live';
import { waitFor } from '../support/wait';

let stack: Stack;
let uiDist: string;
const APP_JS = `console.log(${JSON.stringify('jobflow '.repeat(2000))});\n`;

beforeAll(async () => {
  // A built UI of one page and one asset, the asset with its brotli twin as the build writes it.
  uiDist = await mkdtemp(join(tmpdir(), 'jobflow-ui-'));
  await mkdir(join(uiDist, 'assets'));
  await writeFile(join(uiDist, 'index.html'), `<!doctype html><title>Jobflow</title>${'<p>jobflow</p>'.repeat(200)}`);
  await writeFile(join(uiDist, 'assets', 'app.js'), APP_JS);
  await writeFile(join(uiDist, 'assets', 'app.js.br'), brotliCompressSync(APP_JS));
  // No worker until the run's follower has subscribed, so it sees every change of the run.
  stack = await startStack({ uiDist, workers: 0 });
});
afterAll(async () => {
  await stack?.stop();
  await rm(uiDist, { recursive: true, force: true });
});

/** A CSV of about 0.9 MB, inline in a data-check job's params. */
const bigCsv = () =>
  'id,age\n' +
  Array.from({ length: 90_000 }, (_, i) => `${i},${i % 100}`)
    .join('\n')
    .padEnd(900_000, '0');

/** A GET over plain node:http, so the answer's encoding is seen as sent (fetch would decode it). */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(stack.baseUrl + path, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('summaries where many clients listen', () => {
  it('a job with 0.9 MB of params: run:updated on the dashboard stays under 2 KB, the run topic gets the whole run, lists carry no params', async () => {
    const content = bigCsv();
    const job = await stack.createJob({ type: 'data-check', params: { content, format: 'csv', columns: {} } });
    expect(job.params.content).toBe(content);

    // Frame sizes as they travel: Engine.IO packets before Socket.IO decodes them.
    const dashboard = stack.connect(stack.admin.token);
    const frames: string[] = [];
    dashboard.io.engine.on('packet', (packet: { type: string; data?: unknown }) => {
      if (packet.type === 'message' && typeof packet.data === 'string' && packet.data.includes('"run:updated"')) frames.push(packet.data);
    });
    const jobUpdates: JobSummaryDto[] = [];
    dashboard.on('job:updated', (j) => jobUpdates.push(j));
    expect(await subscribe(dashboard, { topic: 'dashboard' })).toEqual({ ok: true });
    const follower = stack.connect(stack.admin.token);
    const whole: RunDto[] = [];

    const run = await stack.startRun(job.id);
    expect(await subscribe(follower, { topic: 'run', runId: run.id })).toMatchObject({ ok: true, run: { id: run.id, params: { content } } });
    follower.on('run:updated', (r) => whole.push(r as RunDto));
    await stack.addWorker();
    await waitFor(() => frames.some((f) => /"status":"(succeeded|failed)"/.test(f)), 'the final run:updated on the dashboard');
    await waitFor(() => whole.some((r) => r.status === 'succeeded' || r.status === 'failed'), 'the final run:updated on the run topic');

    const sizes = frames.map((f) => Buffer.byteLength(f));
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2048);
    expect(frames.every((f) => !f.includes('"params"') && !f.includes('"result"'))).toBe(true);
    const last = whole[whole.length - 1]!;
    expect(last.params.content).toBe(content);
    expect(last).toHaveProperty('result');

    // A job change reaches the dashboard as a summary too.
    await stack.request('PATCH', `/api/jobs/${job.id}`, { token: stack.admin.token, body: { description: 'summarized' } });
    await waitFor(() => jobUpdates.find((j) => j.description === 'summarized'), 'the job:updated broadcast');
    expect(jobUpdates.every((j) => !('params' in j))).toBe(true);

    // Lists carry summaries; GET of the one resource gives it whole.
    const runs = await stack.request<Page<RunSummaryDto>>('GET', `/api/runs?jobId=${job.id}`, { token: stack.admin.token });
    expect(runs.body.items.map((r) => r.id)).toEqual([run.id]);
    expect(runs.body.items[0]).not.toHaveProperty('params');
    expect(runs.body.items[0]).not.toHaveProperty('result');
    const jobs = await stack.request<Page<JobSummaryDto>>('GET', `/api/jobs?q=${encodeURIComponent(job.name)}`, { token: stack.admin.token });
    expect(jobs.body.items.map((j) => j.id)).toEqual([job.id]);
    expect(jobs.body.items[0]).not.toHaveProperty('params');
    expect(jobs.body.items[0]!.lastRun).not.toHaveProperty('params');
    expect(JSON.stringify(jobs.body).length).toBeLessThan(4096);
    expect((await stack.request<JobDto>('GET', `/api/jobs/${job.id}`, { token: stack.admin.token })).body.params.content).toBe(content);
    expect((await stack.getRun(run.id)).params.content).toBe(content);
  });
});

describe('compression', () => {
  it('answers API requests with brotli or gzip as the client accepts, and plain to a client that accepts neither', async () => {
    const headers = { authorization: `Bearer ${stack.admin.token}` };
    const plain = await rawGet('/api/openapi.json', headers);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const spec = JSON.parse(plain.body.toString('utf8'));

    const br = await rawGet('/api/openapi.json', { ...headers, 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(plain.body.length / 3);
    expect(JSON.parse(brotliDecompressSync(br.body).toString('utf8'))).toEqual(spec);

    const gzip = await rawGet('/api/job-types', { ...headers, 'accept-encoding': 'gzip' });
    expect(gzip.status).toBe(200);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.body).toString('utf8')).items.length).toBeGreaterThan(0);
  });

  it('sends a UI file as its precompressed twin where one exists, else compresses it on the way', async () => {
    const asset = await rawGet('/assets/app.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-encoding']).toBe('br');
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(brotliDecompressSync(asset.body).toString('utf8')).toBe(APP_JS);
    expect(asset.headers.vary).toMatch(/accept-encoding/i);

    const page = await rawGet('/runs', { 'accept-encoding': 'gzip' });
    expect(page.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(page.body).toString('utf8')).toContain('<title>Jobflow</title>');

    const identity = await rawGet('/assets/app.js', {});
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.body.toString('utf8')).toBe(APP_JS);
  });
});

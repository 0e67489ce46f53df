import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTokenDto, JobDto, RunDto, UserDto } from '@jobflow/shared';
import { errorOf, startStack, type Stack } from '../support/stack';

let stack: Stack;
let token: string;
let jobId: string;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  token = stack.admin.token;
  jobId = (await stack.createJob({ name: 'semantics', type: 'sleep', params: { seconds: 1 } })).id;
});
afterAll(() => stack.stop());

const countRuns = async () => Number((await stack.sql<{ n: string }>('select count(*) as n from runs'))[0]!.n);

/** A request with a body and no Content-Type at all (fetch would add text/plain). */
const withoutContentType = (path: string, body: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(stack.baseUrl + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });

describe('methods', () => {
  it('a known path asked with another method is a 405 naming the methods it takes in Allow', async () => {
    const put = await stack.request('PUT', `/api/jobs/${jobId}`, { token, body: { name: 'x' } });
    expect(put.status).toBe(405);
    expect(errorOf(put).code).toBe('method_not_allowed');
    expect(put.headers.get('allow')?.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH']);
    const getRuns = await stack.request('GET', `/api/jobs/${jobId}/runs`, { token });
    expect(getRuns.status).toBe(405);
    expect(getRuns.headers.get('allow')).toBe('POST, OPTIONS');
    const deleteAll = await stack.request('DELETE', '/api/jobs', { token });
    expect(deleteAll.status).toBe(405);
    expect(deleteAll.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST']);
    // Even without credentials: the method is wrong whoever asks.
    expect((await stack.request('POST', '/healthz')).status).toBe(405);
  });

  it('OPTIONS answers 204 with Allow; an unknown path stays a 404', async () => {
    const options = await stack.request('OPTIONS', '/api/runs/00000000-0000-0000-0000-000000000000/cancel', { token });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST, OPTIONS');
    const unknown = await stack.request('PUT', '/api/nothing-here', { token, body: {} });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).code).toBe('not_found');
  });
});

describe('bodies', () => {
  it('a body that is not JSON where JSON is expected is a 415, and starts nothing', async () => {
    const before = await countRuns();
    const text = await stack.request('POST', `/api/jobs/${jobId}/runs`, { token, raw: '{}', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(errorOf(text).code).toBe('unsupported_media_type');
    const bare = await withoutContentType(`/api/jobs/${jobId}/runs`, '{}');
    expect(bare.status).toBe(415);
    expect(JSON.parse(bare.body).error.code).toBe('unsupported_media_type');
    expect(await countRuns()).toBe(before);
    // JSON with a charset, or a +json type, is JSON.
    const charset = await stack.request('POST', `/api/jobs/${jobId}/runs`, {
      token,
      raw: '{}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(charset.status).toBe(201);
  });
});

describe('Location on 201', () => {
  it('names the created job, run, rerun, user and token, and the job and run are there', async () => {
    const job = await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: 'located', type: 'sleep', params: { seconds: 1 } } });
    expect(job.status).toBe(201);
    expect(job.headers.get('location')).toBe(`/api/jobs/${job.body.id}`);
    expect((await stack.request<JobDto>('GET', job.headers.get('location')!, { token })).body.id).toBe(job.body.id);

    const run = await stack.request<RunDto>('POST', `/api/jobs/${job.body.id}/runs`, { token, body: {} });
    expect(run.headers.get('location')).toBe(`/api/runs/${run.body.id}`);
    expect((await stack.request<RunDto>('GET', run.headers.get('location')!, { token })).body.id).toBe(run.body.id);

    const rerun = await stack.request<RunDto>('POST', `/api/runs/${run.body.id}/rerun`, { token, body: {} });
    expect(rerun.status).toBe(201);
    expect(rerun.headers.get('location')).toBe(`/api/runs/${rerun.body.id}`);

    const user = await stack.request<UserDto>('POST', '/api/users', {
      token,
      body: { email: `located-${Date.now()}@example.com`, password: 'password-1', role: 'user' },
    });
    expect(user.headers.get('location')).toBe(`/api/users/${user.body.id}`);
    const created = await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token, body: { name: 'located' } });
    expect(created.headers.get('location')).toBe(`/api/tokens/${created.body.id}`);
  });
});

describe('job versions: ETag and If-Match', () => {
  it('a job starts at version 1, each change adds one, and GET sends it as the ETag', async () => {
    const job = await stack.createJob({ name: 'versioned', type: 'sleep', params: { seconds: 1 } });
    expect(job.version).toBe(1);
    const read = await stack.request<JobDto>('GET', `/api/jobs/${job.id}`, { token });
    expect(read.headers.get('etag')).toBe('"1"');
    const changed = await stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token, body: { description: 'one' } });
    expect(changed.body.version).toBe(2);
    expect(changed.headers.get('etag')).toBe('"2"');
    expect((await stack.request<JobDto>('GET', `/api/jobs/${job.id}`, { token })).headers.get('etag')).toBe('"2"');
  });

  it('PATCH with a stale If-Match is a 412 and changes nothing; the current one applies', async () => {
    const job = await stack.createJob({ name: 'contended', type: 'sleep', params: { seconds: 1 } });
    // Two people read version 1; the first saves.
    const first = await stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token, body: { name: 'first' }, headers: { 'if-match': '"1"' } });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(2);
    // The second still holds version 1: refused, and the first change stays.
    const second = await stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token, body: { name: 'second' }, headers: { 'if-match': '"1"' } });
    expect(second.status).toBe(412);
    expect(errorOf(second).code).toBe('precondition_failed');
    const now = await stack.request<JobDto>('GET', `/api/jobs/${job.id}`, { token });
    expect(now.body).toMatchObject({ name: 'first', version: 2 });
    // Weak tags never match; `*` and the current version do.
    expect((await stack.request('PATCH', `/api/jobs/${job.id}`, { token, body: { name: 'weak' }, headers: { 'if-match': 'W/"2"' } })).status).toBe(412);
    const current = await stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token, body: { name: 'second' }, headers: { 'if-match': '"2"' } });
    expect(current.body).toMatchObject({ name: 'second', version: 3 });
    const any = await stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token, body: { name: 'any' }, headers: { 'if-match': '*' } });
    expect(any.body.version).toBe(4);
  });

  it('concurrent changes with the same If-Match: exactly one wins, the rest are 412', async () => {
    const job = await stack.createJob({ name: 'raced', type: 'sleep', params: { seconds: 1 } });
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token, body: { description: `writer ${i}` }, headers: { 'if-match': '"1"' } }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 412, 412, 412, 412, 412]);
    const winner = replies.find((r) => r.status === 200)!.body;
    const stored = (await stack.request<JobDto>('GET', `/api/jobs/${job.id}`, { token })).body;
    expect(stored).toMatchObject({ description: winner.description, version: 2 });
  });

  it('concurrent changes without If-Match all apply, one after another', async () => {
    const job = await stack.createJob({ name: 'unguarded', type: 'sleep', params: { seconds: 1 } });
    const replies = await Promise.all(
      Array.from({ length: 3 }, (_, i) => stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token, body: { description: `writer ${i}` } })),
    );
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await stack.request<JobDto>('GET', `/api/jobs/${job.id}`, { token })).body.version).toBe(4);
  });
});

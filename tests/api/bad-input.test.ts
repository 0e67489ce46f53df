import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, Page, RunDto } from '@jobflow/shared';
import { errorOf, startStack, type Stack } from '../support/stack';

/** The parts of the OpenAPI document these tests read. */
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, unknown>;
  components: { schemas: { Run: { properties: { status: { enum: string[] } } } } };
}
import { subscribe } from '../support/live';

let stack: Stack;
let token: string;
let jobId: string;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  token = stack.admin.token;
  jobId = (await stack.createJob({ name: 'j', type: 'sleep', params: { seconds: 1 } })).id;
});
afterAll(() => stack.stop());

const countRows = async () => {
  const [jobs, runs] = await Promise.all([
    stack.sql<{ n: string }>('select count(*) as n from jobs'),
    stack.sql<{ n: string }>('select count(*) as n from runs'),
  ]);
  return { jobs: Number(jobs[0]!.n), runs: Number(runs[0]!.n) };
};

describe('bad input gets a clear 4xx and changes nothing', () => {
  it('broken JSON is a 400', async () => {
    const before = await countRows();
    const res = await stack.request<JobDto>('POST', '/api/jobs', { token, raw: '{"name": "x", ', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('bad_request');
    expect(await countRows()).toEqual(before);
  });

  it('a body over 1 MiB is a 413', async () => {
    const res = await stack.request<JobDto>('POST', '/api/jobs', {
      token,
      body: { name: 'x', type: 'sleep', params: { seconds: 1 }, description: 'x'.repeat(1_100_000) },
    });
    expect(res.status).toBe(413);
    expect(errorOf(res).code).toBe('payload_too_large');
  });

  it('wrong types and unknown fields are a 422 with JSON Pointer details', async () => {
    const before = await countRows();
    const res = await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: 42, type: 'sleep', params: { seconds: 'soon' }, bogus: true } });
    expect(res.status).toBe(422);
    expect(errorOf(res).code).toBe('validation_failed');
    const paths = errorOf(res).details.map((d: { path: string }) => d.path);
    expect(paths).toContain('/name');
    const params = await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: 'ok', type: 'sleep', params: { seconds: 'soon' } } });
    expect(params.status).toBe(422);
    expect(errorOf(params).details).toEqual([{ path: '/params/seconds', message: expect.any(String) }]);
    const missing = await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: 'ok', type: 'shell', params: {} } });
    expect(errorOf(missing).details[0]?.path).toBe('/params/script');
    const unknownType = await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: 'ok', type: 'nope' } });
    expect(unknownType.status).toBe(422);
    expect(errorOf(unknownType).details[0]?.path).toBe('/type');
    expect(await countRows()).toEqual(before);
  });

  it('run params are validated the same way', async () => {
    const before = await countRows();
    const res = await stack.request<RunDto>('POST', `/api/jobs/${jobId}/runs`, { token, body: { params: { seconds: -5 } } });
    expect(res.status).toBe(422);
    expect(errorOf(res).details[0]?.path).toBe('/params/seconds');
    expect(await countRows()).toEqual(before);
  });

  it('NUL bytes in params are a 422, not a database error', async () => {
    const before = await countRows();
    const res = await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: 'nul', type: 'shell', params: { script: 'echo a\u0000b' } } });
    expect(res.status).toBe(422);
    expect(errorOf(res).details[0]?.path).toBe('/params/script');
    const inName = await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: 'a\u0000', type: 'sleep', params: { seconds: 1 } } });
    expect(inName.status).toBe(422);
    expect(await countRows()).toEqual(before);
  });

  it('invalid schedules are a 422 naming the field', async () => {
    const cron = await stack.request<JobDto>('POST', '/api/jobs', {
      token,
      body: { name: 's', type: 'sleep', params: { seconds: 1 }, schedule: { cron: '61 * * * *', timezone: 'UTC' } },
    });
    expect(cron.status).toBe(422);
    expect(errorOf(cron).details.map((d: { path: string }) => d.path)).toContain('/schedule/cron');
    const zone = await stack.request<JobDto>('POST', '/api/jobs', {
      token,
      body: { name: 's', type: 'sleep', params: { seconds: 1 }, schedule: { cron: '* * * * *', timezone: 'Mars/Olympus' } },
    });
    expect(errorOf(zone).details.map((d: { path: string }) => d.path)).toContain('/schedule/timezone');
  });

  it('unknown ids of any shape are a 404, never a 500', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', '1', "'; drop table runs; --", '%00', 'x'.repeat(300)]) {
      const enc = encodeURIComponent(id);
      for (const path of [`/api/jobs/${enc}`, `/api/runs/${enc}`, `/api/runs/${enc}/logs`, `/api/runs/${enc}/logs.txt`, `/api/users/${enc}`]) {
        const res = await stack.request('GET', path, { token });
        expect(res.status, path).toBe(404);
        expect(errorOf(res).code).toBe('not_found');
      }
      const cancel = await stack.request<RunDto>('POST', `/api/runs/${enc}/cancel`, { token });
      expect(cancel.status).toBe(404);
      const del = await stack.request('DELETE', `/api/tokens/${enc}`, { token });
      expect(del.status).toBe(404);
    }
  });

  it('unparsable query parameters are a 400', async () => {
    for (const query of ['limit=0', 'limit=201', 'limit=abc', 'cursor=garbage', 'status=sleeping', 'jobId=nope']) {
      const res = await stack.request<Page<RunDto>>('GET', `/api/runs?${query}`, { token });
      expect(res.status, query).toBe(400);
      expect(errorOf(res).code).toBe('bad_request');
    }
    const logs = await stack.request(
      'GET',
      `/api/runs/${(await stack.request<Page<RunDto>>('GET', '/api/runs', { token })).body.items[0]?.id ?? '0'}/logs?after=-1`,
      {
        token,
      },
    );
    expect([400, 404]).toContain(logs.status);
  });

  it('unknown routes under /api are a JSON 404', async () => {
    const res = await stack.request('GET', '/api/nothing-here', { token });
    expect(res.status).toBe(404);
    expect(errorOf(res).code).toBe('not_found');
  });

  it('malformed socket payloads get an error ack and the server keeps serving', async () => {
    const socket = stack.connect(token);
    for (const payload of [
      null,
      'dashboard',
      42,
      {},
      { topic: 'nope' },
      { topic: 'run' },
      { topic: 'run', runId: 5 },
      { topic: 'run', runId: 'x', afterSeq: -1 },
      { topic: 'job', jobId: {} },
    ]) {
      const ack = await subscribe(socket, payload as never);
      expect(ack.ok, JSON.stringify(payload)).toBe(false);
      if (!ack.ok) expect(ack.error.code).toBe('validation_failed');
    }
    const missing = await subscribe(socket, { topic: 'run', runId: '00000000-0000-0000-0000-000000000000' });
    expect(missing).toEqual({ ok: false, error: { code: 'not_found', message: expect.any(String) } });
    const notUuid = await subscribe(socket, { topic: 'job', jobId: 'not-an-id' });
    expect(notUuid.ok === false && notUuid.error.code).toBe('not_found');
    (socket.emit as (...args: unknown[]) => void)('subscribe', { topic: 'dashboard' });
    expect(await subscribe(socket, { topic: 'dashboard' })).toEqual({ ok: true });
    expect((await stack.request('GET', '/healthz')).status).toBe(200);
  });

  it('a socket without a valid token fails with connect_error "unauthorized"', async () => {
    for (const bad of ['', 'garbage', 'jf_nope']) {
      const socket = stack.connect(bad);
      const message = await new Promise<string>((resolve) => socket.once('connect_error', (e) => resolve(e.message)));
      expect(message).toBe('unauthorized');
      socket.disconnect();
    }
  });
});

describe('OpenAPI and docs', () => {
  it('serves an OpenAPI 3.1 document describing every path of the contract', async () => {
    const res = await stack.request<OpenApiDocument>('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const path of [
      '/api/auth/login',
      '/api/users/{id}',
      '/api/jobs/{id}/runs',
      '/api/runs/{id}/logs',
      '/api/runs/{id}/cancel',
      '/api/tokens',
      '/api/auth/logout',
      '/api/audit',
      '/readyz',
      '/metrics',
    ]) {
      expect(Object.keys(res.body.paths)).toContain(path);
    }
    expect(res.body.components.schemas.Run.properties.status.enum).toEqual(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
    const docs = await stack.request<string>('GET', '/api/docs');
    expect(docs.body).toContain('/api/docs/assets/swagger-ui-bundle.js');
    const init = await fetch(stack.baseUrl + '/api/docs/assets/docs.js');
    expect(await init.text()).toContain('SwaggerUIBundle');
    const asset = await fetch(stack.baseUrl + '/api/docs/assets/swagger-ui-bundle.js');
    expect(asset.status).toBe(200);
  });

  it('reports readiness of PostgreSQL and Redis', async () => {
    const res = await stack.request('GET', '/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ postgres: 'up', redis: 'up' });
  });
});

import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack, CreatedTokenDto, JobDto, RunDto } from '@jobflow/shared';
import { errorOf, startStack, type Stack } from '../support/stack';

/**
 * Property: no input, however malformed, gets a 5xx, and input that is
 * refused (4xx) changes nothing stored. The routes come from the server's
 * own routers, so a new endpoint is fuzzed without anyone listing it here.
 */

let stack: Stack;
let adminToken: string;
let userToken: string;
let ids: string[];

const b64 = (s: string) => Buffer.from(s).toString('base64url');

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  const mint = async (token: string) => (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token, body: { name: 'fuzz' } })).body.token as string;
  // API tokens: a fuzzed logout ends sessions, and the fuzz must keep its credentials.
  adminToken = await mint(stack.admin.token);
  const user = await stack.createUser();
  userToken = await mint(user.token);
  const job = await stack.request<JobDto>('POST', '/api/jobs', {
    token: user.token,
    body: { name: 'fuzzed', type: 'sleep', params: { seconds: 1 }, schedule: { cron: '0 3 * * *', timezone: 'UTC' } },
  });
  const run = await stack.request<RunDto>('POST', `/api/jobs/${job.body.id}/runs`, { token: user.token, body: {} });
  const token = await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: user.token, body: { name: 'victim' } });
  ids = [user.id, job.body.id, run.body.id, token.body.id];
});
afterAll(() => stack.stop());

/** A digest of every stored row a request could change (not the audit log: refused sign-ins are audited by design). */
const snapshot = async () =>
  (
    await stack.sql<{ digest: string }>(`
      select concat_ws('/',
        (select md5(coalesce(string_agg(u::text, ',' order by u.id), '')) from (select id, email, name, role, disabled, password_hash, session_generation from users) u),
        (select md5(coalesce(string_agg(j::text, ',' order by j.id), '')) from jobs j),
        (select md5(coalesce(string_agg(r::text, ',' order by r.id), '')) from runs r),
        (select md5(coalesce(string_agg(t::text, ',' order by t.id), '')) from (select id, user_id, name, token_hash, expires_at from api_tokens) t),
        (select md5(coalesce(string_agg(f::text, ',' order by f.id), '')) from schedule_fires f)) as digest`)
  )[0]!.digest;

const nasty = fc.constantFrom(
  '-'.repeat(36),
  '00000000-0000-0000-0000-000000000000',
  'not-an-id',
  '\u0000',
  '%00',
  '😀',
  'x'.repeat(2000),
  "'; drop table runs; --",
  '../../etc/passwd',
  '0000-01-01T00:00:00Z',
  '275760-09-13T00:00:00.000Z',
  '2026-02-30T00:00:00Z',
  '-1',
  '1e999',
  'NaN',
  b64(`${'-'.repeat(36)}|${'-'.repeat(36)}`),
  b64(`0000-01-01T00:00:00.000Z|00000000-0000-0000-0000-000000000000`),
  b64(`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`),
  b64('\u0000|\u0000'),
);
const text = fc.oneof(nasty, fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.integer().map(String));
const idArb = () =>
  fc.oneof(
    fc.nat().map((i) => ids[i % ids.length]!),
    nasty,
    fc.uuid(),
    fc.string({ maxLength: 40 }),
  );

const QUERY_NAMES = [
  'limit',
  'cursor',
  'q',
  'type',
  'jobId',
  'status',
  'hours',
  'after',
  'count',
  'userId',
  'actor',
  'action',
  'targetType',
  'targetId',
  'since',
  'until',
];
const query = fc.dictionary(fc.constantFrom(...QUERY_NAMES), fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 2 })), { maxKeys: 4 });

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const manyKeys = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));
const jobish = fc.record(
  {
    name: fc.oneof(text, fc.integer()),
    type: fc.constantFrom('shell', 'sleep', 'http', 'data-check', 'nope', ''),
    params: fc.oneof(fc.object(), fc.jsonValue()),
    schedule: fc.oneof(fc.constant(null), fc.record({ cron: text, timezone: text })),
    ownerId: idArb(),
    email: text,
    password: text,
    role: fc.constantFrom('admin', 'user', 'root'),
    disabled: fc.boolean(),
    expiresAt: text,
    notifications: fc.array(fc.object(), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.constant(undefined),
  jobish.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(deep(10_000), deep(40), manyKeys(90_000), '{"a":', '\u0000', '{"params":{"x":"\\u0000"}}'),
);

const routes = () => stack.app.routes;

/** A concrete path for a route pattern, with fuzzed ids where it has parameters. */
const pathFor = (pattern: string) =>
  fc.tuple(...(pattern.match(/:[a-z]+/gi) ?? []).map(() => idArb())).map((values) => {
    let i = 0;
    return pattern.replace(/:[a-z]+/gi, () => encodeURIComponent(values[i++]!));
  });

describe('no 5xx from any input, and refused input changes nothing', () => {
  it('derives the endpoints from the routers', () => {
    const listed = routes().map((r) => `${r.method} ${r.path}`);
    for (const expected of [
      'POST /api/auth/login',
      'GET /api/users/:id',
      'PATCH /api/jobs/:id',
      'GET /api/runs/:id/logs',
      'GET /api/audit',
      'POST /api/auth/logout',
    ]) {
      expect(listed).toContain(expected);
    }
  });

  it('every endpoint, fuzzed: ids, query parameters, bodies and callers', async () => {
    const request = fc.constantFrom(...routes()).chain((route) =>
      fc.record({
        route: fc.constant(route),
        path: pathFor(route.path),
        query,
        body,
        contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', undefined),
        caller: fc.constantFrom('admin', 'user', 'anonymous'),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const search = new URLSearchParams();
        for (const [k, v] of Object.entries(r.query)) for (const value of Array.isArray(v) ? v : [v]) search.append(k, value);
        const token = r.caller === 'admin' ? adminToken : r.caller === 'user' ? userToken : undefined;
        const headers: Record<string, string> = r.contentType ? { 'content-type': r.contentType } : {};
        const before = await snapshot();
        const url = `${r.path}${search.size ? `?${search}` : ''}`;
        const res = await stack.request(r.route.method, url, { token, raw: r.route.method === 'GET' ? undefined : r.body, headers });
        const what = `${r.route.method} ${url} as ${r.caller} with ${String(r.body).slice(0, 200)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        expect(res.status, what).toBeLessThan(500);
        if (res.status >= 400) {
          expect(errorOf(res).code, what).toEqual(expect.any(String));
          expect(await snapshot(), `refused input changed stored data: ${what}`).toBe(before);
        }
      }),
      { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31), endOnFailure: true },
    );
  });

  it('the inputs that used to give a 500 get a 4xx', async () => {
    const bad = [
      `/api/runs?cursor=${b64(`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`)}`,
      `/api/runs?cursor=${b64('0000-01-01T00:00:00.000Z|00000000-0000-0000-0000-000000000000')}`,
      `/api/jobs?q=%00`,
      `/api/users/${'-'.repeat(36)}`,
      `/api/audit?since=0000-01-01T00:00:00Z`,
    ];
    for (const path of bad) {
      const res = await stack.request('GET', path, { token: adminToken });
      expect([400, 404], `${path} -> ${res.status}`).toContain(res.status);
    }
    const nested = await stack.request<JobDto>('POST', '/api/jobs', { token: adminToken, raw: deep(10_000), headers: { 'content-type': 'application/json' } });
    expect(nested.status).toBe(413);
  });
});

describe('every socket event, fuzzed', () => {
  let socket: Socket;
  afterAll(() => socket?.disconnect());

  it('answers every payload with an ack of the contract, never an internal error', async () => {
    socket = io(stack.baseUrl, { auth: { token: adminToken }, transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const payload = fc.oneof(
      fc.anything(),
      fc.record(
        { topic: fc.constantFrom('dashboard', 'job', 'run', 'nope'), jobId: idArb(), runId: idArb(), afterSeq: fc.oneof(fc.integer(), fc.double(), text) },
        { requiredKeys: ['topic'] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('subscribe', 'unsubscribe'), payload, async (event, p) => {
        const ack = await new Promise<Ack>((resolve) => (socket.emit as (...args: unknown[]) => void)(event, p, resolve));
        expect(typeof ack.ok).toBe('boolean');
        if (!ack.ok) expect(['validation_failed', 'not_found', 'forbidden']).toContain(ack.error.code);
      }),
      { numRuns: 300 },
    );
    (socket.emit as (...args: unknown[]) => void)('no-such-event', { x: 1 });
    (socket.emit as (...args: unknown[]) => void)('subscribe', { topic: 'dashboard' });
    expect(await new Promise<Ack>((resolve) => socket.emit('subscribe', { topic: 'dashboard' }, resolve))).toEqual({ ok: true });
    expect(socket.connected).toBe(true);
  });
});

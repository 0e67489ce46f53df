import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTokenDto, JobDto, RunDto, RunSummaryDto } from '@jobflow/shared';
import { ApiClientError, createClient, isApiClientError, type JobflowClient, type WatchEvent } from '@jobflow/shared/client';
import { freePort } from '../support/processes';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
let admin: JobflowClient;
const clients: JobflowClient[] = [];

beforeAll(async () => {
  stack = await startStack();
  const created = await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'client tests' } });
  admin = clientWith(created.body.token);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await stack.stop();
});

function clientWith(token: string | null): JobflowClient {
  const client = createClient({ url: stack.baseUrl, token });
  clients.push(client);
  return client;
}

/** The ApiClientError a call fails with (the test fails if it succeeds or throws anything else). */
async function failure(call: Promise<unknown>): Promise<ApiClientError> {
  const outcome = await call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(ApiClientError);
  return outcome.error as ApiClientError;
}

async function finished(client: JobflowClient, runId: string): Promise<RunDto> {
  const follow = client.followRun(runId);
  for await (const _ of follow) {
    // drain: the iterator ends when the run is final
  }
  return follow.run!;
}

describe('typed client: auth and users', () => {
  it('signs in, says who is signed in, and refuses bad credentials alike', async () => {
    const anonymous = clientWith(null);
    const session = await anonymous.auth.login({ email: stack.admin.email, password: stack.admin.password });
    expect(session.user).toMatchObject({ email: stack.admin.email, role: 'admin', disabled: false });
    expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());
    anonymous.setToken(session.token);
    expect((await anonymous.auth.me()).id).toBe(stack.admin.id);

    const wrong = await failure(clientWith(null).auth.login({ email: stack.admin.email, password: 'not-the-password' }));
    const unknown = await failure(clientWith(null).auth.login({ email: 'nobody@example.com', password: 'not-the-password' }));
    for (const error of [wrong, unknown]) {
      expect(error).toMatchObject({ code: 'invalid_credentials', status: 401, name: 'ApiClientError' });
    }
    expect(wrong.message).toBe(unknown.message);
  });

  it('reports a missing or refused token as unauthorized, to the caller and to onAuthError', async () => {
    expect(await failure(clientWith(null).jobs.list())).toMatchObject({ code: 'unauthorized', status: 401 });
    const stale = clientWith('jf_revoked-or-never-issued');
    const heard: string[] = [];
    stale.onAuthError((error) => heard.push(error.code));
    expect(await failure(stale.auth.me())).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(heard).toEqual(['unauthorized']);
  });

  it('rate-limits repeated failed sign-ins with 429 and Retry-After', async () => {
    const email = `limited-${stack.redisPrefix}@example.com`;
    let last: ApiClientError | null = null;
    for (let i = 0; i < 30 && last?.code !== 'rate_limited'; i++) last = await failure(clientWith(null).auth.login({ email, password: 'wrong-password' }));
    expect(last).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(last!.retryAfterSec).toBeGreaterThan(0);
  });

  it('lists, creates, updates and deletes users, with typed conflicts and validation errors', async () => {
    const email = `client-${stack.redisPrefix}@example.com`;
    const user = await admin.users.create({ email, password: 'long-enough-password', name: 'Client', role: 'user' });
    expect(user).toMatchObject({ email, name: 'Client', role: 'user', disabled: false });
    expect(Object.keys(user)).not.toContain('password');

    const listed = await admin.users.list({ limit: 200 });
    expect(listed.items.map((u) => u.id)).toContain(user.id);
    expect(listed.nextCursor).toBeNull();

    expect(await failure(admin.users.create({ email, password: 'long-enough-password', role: 'user' }))).toMatchObject({ code: 'conflict', status: 409 });
    const invalid = await failure(admin.users.create({ email: 'x@example.com', password: 'short', role: 'user' }));
    expect(invalid).toMatchObject({ code: 'validation_failed', status: 422 });
    expect(invalid.details.map((d) => d.path)).toContain('/password');

    // The stack's admin is the only admin: disabling or demoting it would leave none.
    expect(await failure(admin.users.update(stack.admin.id, { disabled: true }))).toMatchObject({ code: 'conflict', status: 409 });
    expect(await failure(admin.users.update(stack.admin.id, { role: 'user' }))).toMatchObject({ code: 'conflict', status: 409 });
    expect(await admin.users.update(user.id, { name: 'Renamed' })).toMatchObject({ name: 'Renamed', role: 'user' });

    const asUser = clientWith((await clientWith(null).auth.login({ email, password: 'long-enough-password' })).token);
    expect(await failure(asUser.users.list())).toMatchObject({ code: 'forbidden', status: 403 });

    await admin.users.delete(user.id);
    expect(await failure(admin.users.update(user.id, { name: 'gone' }))).toMatchObject({ code: 'not_found', status: 404 });
    expect(await failure(admin.users.delete(stack.admin.id))).toMatchObject({ code: 'conflict', status: 409 });
  });

  it('creates, lists and revokes API tokens; the secret appears only once', async () => {
    const created = await admin.tokens.create({ name: 'typed', expiresAt: null });
    expect(created.token).toMatch(/^jf_/);
    const list = await admin.tokens.list();
    const listed = list.items.find((t) => t.id === created.id);
    expect(listed).toMatchObject({ name: 'typed', userId: stack.admin.id });
    expect(listed).not.toHaveProperty('token');

    const user = await stack.createUser();
    const theirs = await clientWith(user.token).tokens.create({ name: 'theirs' });
    expect((await admin.tokens.list({ userId: user.id })).items.map((t) => t.id)).toEqual([theirs.id]);
    expect(await failure(clientWith(user.token).tokens.list({ userId: stack.admin.id }))).toMatchObject({ code: 'forbidden' });

    const withIt = clientWith(created.token);
    expect((await withIt.auth.me()).id).toBe(stack.admin.id);
    await admin.tokens.delete(created.id);
    expect(await failure(withIt.auth.me())).toMatchObject({ code: 'unauthorized' });
    expect(await failure(admin.tokens.delete(created.id))).toMatchObject({ code: 'not_found' });
  });
});

describe('typed client: jobs and runs', () => {
  it('lists job types with their schemas', async () => {
    const types = await admin.jobTypes.list();
    expect(types.map((t) => t.type).sort()).toEqual(expect.arrayContaining(['data-check', 'http', 'shell', 'sleep']));
    expect(types.find((t) => t.type === 'shell')).toMatchObject({ adminOnly: true, paramsSchema: expect.objectContaining({ type: 'object' }) });
  });

  it('creates, finds, updates and deletes jobs, with typed errors', async () => {
    const job = await admin.jobs.create({ name: 'typed job alpha', type: 'sleep', params: { seconds: 0 } });
    expect(job).toMatchObject({
      name: 'typed job alpha',
      type: 'sleep',
      params: { seconds: 0 },
      maxAttempts: 1,
      schedule: null,
      lastRun: null,
      ownerId: stack.admin.id,
    });
    expect(await admin.jobs.get(job.id)).toEqual(job);
    expect((await admin.jobs.list({ q: 'job alpha' })).items.map((j) => j.id)).toEqual([job.id]);
    expect((await admin.jobs.list({ type: 'sleep', limit: 200 })).items.every((j) => j.type === 'sleep')).toBe(true);

    const updated = await admin.jobs.update(job.id, { description: 'now described', maxAttempts: 2 });
    expect(updated).toMatchObject({ description: 'now described', maxAttempts: 2 });

    const invalid = await failure(admin.jobs.create({ name: 'bad', type: 'sleep', params: { seconds: 'soon' } }));
    expect(invalid).toMatchObject({ code: 'validation_failed', status: 422 });
    expect(invalid.details.map((d) => d.path)).toContain('/params/seconds');

    const user = clientWith((await stack.createUser()).token);
    expect(await failure(user.jobs.create({ name: 'not mine', type: 'shell', params: { script: 'true' } }))).toMatchObject({ code: 'forbidden', status: 403 });
    expect(await failure(user.jobs.update(job.id, { name: 'hijacked' }))).toMatchObject({ code: 'forbidden', status: 403 });
    expect(await failure(admin.jobs.get('00000000-0000-4000-8000-000000000000'))).toMatchObject({ code: 'not_found', status: 404 });
    expect(await failure(admin.jobs.get('not-an-id'))).toMatchObject({ code: 'not_found', status: 404 });

    const huge = await failure(admin.jobs.create({ name: 'huge', type: 'sleep', params: { seconds: 0, padding: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(huge).toMatchObject({ code: 'payload_too_large', status: 413 });

    await admin.jobs.delete(job.id);
    expect(await failure(admin.jobs.get(job.id))).toMatchObject({ code: 'not_found' });
  });

  it('runs a job, reads its log three ways, reruns it and refuses to cancel a finished run', async () => {
    const job = await admin.jobs.create({
      name: 'typed echo',
      type: 'shell',
      params: { script: 'echo "hello $WHO"; echo "to stderr" >&2', env: { WHO: 'world' } },
    });
    const run = await admin.jobs.run(job.id);
    expect(run).toMatchObject({ jobId: job.id, jobName: 'typed echo', status: 'queued', attempt: 1, trigger: { kind: 'api', userId: stack.admin.id } });
    expect(await admin.runs.get(run.id)).toMatchObject({ id: run.id });

    const final = await finished(admin, run.id);
    expect(final).toMatchObject({ status: 'succeeded', result: { exitCode: 0 }, error: null });
    const logs = await admin.runs.logs(run.id);
    expect(logs.items.map((l) => [l.seq, l.stream, l.text])).toEqual([
      [1, 'stdout', 'hello world'],
      [2, 'stderr', 'to stderr'],
    ]);
    expect(logs.nextAfter).toBe(2);
    expect((await admin.runs.logs(run.id, { after: 1 })).items.map((l) => l.text)).toEqual(['to stderr']);
    expect(await (await admin.runs.logsText(run.id)).text()).toBe('hello world\nto stderr\n');
    expect(admin.runs.logsTextUrl(run.id)).toBe(`${stack.baseUrl}/api/runs/${run.id}/logs.txt`);

    expect((await admin.runs.list({ jobId: job.id })).items.map((r) => r.id)).toEqual([run.id]);
    expect((await admin.runs.list({ jobId: job.id, status: 'failed' })).items).toEqual([]);
    expect(await failure(admin.runs.list({ jobId: 'nope' }))).toMatchObject({ code: 'bad_request', status: 400 });
    expect(await failure(admin.runs.cancel(run.id))).toMatchObject({ code: 'conflict', status: 409 });

    const again = await admin.runs.rerun(run.id, { params: { script: 'echo "bye $WHO"', env: { WHO: 'now' } } });
    expect(again).toMatchObject({ status: 'queued', trigger: { kind: 'rerun', rerunOf: run.id }, params: { script: 'echo "bye $WHO"' } });
    await finished(admin, again.id);
    expect((await admin.runs.logs(again.id)).items.map((l) => l.text)).toEqual(['bye now']);
  });

  it('cancels a running run, and refuses to delete a job while it runs', async () => {
    const job = await admin.jobs.create({ name: 'typed nap', type: 'sleep', params: { seconds: 60 } });
    const run = await admin.jobs.run(job.id);
    const follow = admin.followRun(run.id);
    for await (const event of follow) if (event.type === 'run' && event.run.status === 'running') break;
    expect(await failure(admin.jobs.delete(job.id))).toMatchObject({ code: 'conflict', status: 409 });
    const cancelling = await admin.runs.cancel(run.id);
    expect(['running', 'cancelled']).toContain(cancelling.status);
    expect(await finished(admin, run.id)).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    await admin.jobs.delete(job.id);
  });

  it('answers health checks without throwing', async () => {
    expect(await admin.health.healthz()).toMatchObject({ ok: true, status: 200 });
    expect(await admin.health.readyz()).toMatchObject({ ok: true, status: 200 });
  });

  it('turns an unreachable server into a network_error, once it has tried for as long as it was told', async () => {
    // A port nobody listens on (port 9 would not do: fetch refuses it as a "bad port", which no retry mends).
    const nowhere = createClient({ url: `http://127.0.0.1:${await freePort()}`, token: 'jf_x', retry: { maxElapsedMs: 1_000 } });
    const error = await failure(nowhere.jobs.list());
    expect(error).toMatchObject({ code: 'network_error', status: 0 });
    expect(error.message).toMatch(/\(tried \d+ times in [\d.]+ s\)$/);
    nowhere.close();
  });
});

describe('typed client: live', () => {
  it('subscribes to a job and gets its runs as they change', async () => {
    const job = await admin.jobs.create({ name: 'typed live', type: 'sleep', params: { seconds: 0 } });
    const seen: RunSummaryDto[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const subscription = admin.subscribe(
      { topic: 'job', jobId: job.id },
      {
        onRunUpdated: (run) => {
          seen.push(run);
          if (run.status === 'succeeded') resolveDone();
        },
      },
    );
    await subscription.ready;
    const run = await admin.jobs.run(job.id);
    await done;
    subscription.close();
    expect(seen.every((r) => r.id === run.id && r.jobId === job.id)).toBe(true);
    expect(seen.map((r) => r.status)).toEqual(['queued', 'running', 'succeeded']);
    expect(seen.map((r) => r.version)).toEqual([...seen.map((r) => r.version)].sort((a, b) => a - b));
  });

  it('reports a refused subscription through onError and ready', async () => {
    const errors: string[] = [];
    const subscription = admin.subscribe({ topic: 'run', runId: '00000000-0000-4000-8000-000000000000' }, { onError: (e) => errors.push(e.code) });
    expect(await failure(subscription.ready)).toMatchObject({ code: 'not_found' });
    expect(errors).toEqual(['not_found']);
    expect(await failure(drain(admin.followRun('00000000-0000-4000-8000-000000000000')))).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('watches the dashboard as an async iterator', async () => {
    const watch = admin.watch({ topic: { topic: 'dashboard' } });
    await watch.ready;
    const job = await admin.jobs.create({ name: 'typed watched', type: 'sleep', params: { seconds: 0 } });
    const run = await admin.jobs.run(job.id);
    const events: WatchEvent[] = [];
    for await (const event of watch) {
      events.push(event);
      if (event.type === 'run:updated' && event.run.id === run.id && event.run.status === 'succeeded') break;
    }
    const created = events.find((e): e is { type: 'job:updated'; job: JobDto } => e.type === 'job:updated' && e.job.id === job.id);
    expect(created?.job.name).toBe('typed watched');
    const statuses = events.flatMap((e) => (e.type === 'run:updated' && e.run.id === run.id ? [e.run.status] : []));
    expect(statuses).toEqual(['queued', 'running', 'succeeded']);

    await admin.jobs.delete(job.id);
    const after = admin.watch({ topic: { topic: 'dashboard' } });
    await after.ready;
    await admin.jobs.delete((await admin.jobs.create({ name: 'typed deleted', type: 'sleep', params: { seconds: 0 } })).id);
    for await (const event of after) if (event.type === 'job:deleted') break;
    after.close();
  });

  it('rejects ready with unauthorized when the token is refused, before and after the socket learns it', async () => {
    const refused = clientWith('jf_not-a-real-token');
    const first = refused.subscribe({ topic: 'dashboard' }, {});
    expect(await failure(first.ready)).toMatchObject({ code: 'unauthorized' });
    const later = refused.subscribe({ topic: 'dashboard' }, {});
    expect(await failure(later.ready)).toMatchObject({ code: 'unauthorized' });
    refused.close();
  });

  it('ends open watch and followRun iterators when the client is closed', async () => {
    const closing = clientWith(stack.admin.token);
    const job = await closing.jobs.create({ name: 'typed closing', type: 'sleep', params: { seconds: 30 } });
    const run = await closing.jobs.run(job.id);
    const watch = closing.watch({ topic: { topic: 'job', jobId: job.id } });
    await watch.ready;
    const follow = closing.followRun(run.id);
    const followed = drain(follow);
    const watched = drain(watch);
    // Both have seen the run start before the client goes away.
    await expect.poll(() => follow.run?.status, { timeout: 10_000 }).toBe('running');
    closing.close();
    await Promise.all([followed, watched]);
    await admin.runs.cancel(run.id);
  });
});

async function drain(iterator: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterator) {
    // nothing
  }
}

// A typed error is also recognisable without instanceof, e.g. across bundles.
it('isApiClientError tells typed errors by code', () => {
  const error = new ApiClientError('conflict', 'taken', 409);
  expect(isApiClientError(error, 'conflict')).toBe(true);
  expect(isApiClientError(error, 'not_found')).toBe(false);
  expect(isApiClientError(new Error('x'))).toBe(false);
  expect(error.name).toBe('ApiClientError');
});

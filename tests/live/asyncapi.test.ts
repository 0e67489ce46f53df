import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import Ajv, { type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { subscribe } from '../support/live';
import { waitFor } from '../support/wait';
import { REPO_ROOT } from '../support/processes';

let stack: Stack;
let served: unknown;
let document: AsyncAPIDocumentInterface;

beforeAll(async () => {
  stack = await startStack();
  const res = await stack.request('GET', '/api/asyncapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  served = res.body;
  const parsed = await new Parser().parse(JSON.stringify(served));
  const problems = parsed.diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code} at ${d.path.join('/')}: ${d.message}`);
  expect(problems, 'errors and warnings of the AsyncAPI parser').toEqual([]);
  document = parsed.document!;
});
afterAll(() => stack.stop());

/** Names of the messages the document says a channel carries from the server. */
const receivedOn = (channelId: string) =>
  new Set(
    document
      .operations()
      .filterByReceive()
      .filter((op) =>
        op
          .channels()
          .all()
          .some((c) => c.id() === channelId),
      )
      .flatMap((op) =>
        op
          .messages()
          .all()
          .map((m) => m.name()),
      ),
  );

/** Every `.emit('event'` in the code that runs on the server side. */
async function emittedInSource(): Promise<Set<string>> {
  const names = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        // Socket.IO events are `noun:verb` (or one word); the run engine's own events (`run.stored`, ...) are dotted and reach no socket.
        for (const match of (await readFile(path, 'utf8')).matchAll(/\.emit\(\s*['"`]([^'"`.]+)['"`]/g)) names.add(match[1]!);
      }
    }
  };
  for (const dir of ['server/src', 'worker/src', 'shared/src/node', 'core/src']) if (existsSync(join(REPO_ROOT, dir))) await walk(join(REPO_ROOT, dir));
  return names;
}

describe('GET /api/asyncapi.json', () => {
  it('is a valid AsyncAPI 3.0 document of the Socket.IO connection: path, token, topics as channels', () => {
    expect(document.version()).toBe('3.0.0');
    const server = document.servers().get('jobflow')!;
    expect(server.host()).toBe(new URL(stack.baseUrl).host);
    expect(server.protocol()).toBe('ws');
    expect(server.pathname()).toBe('/socket.io/');
    expect(server.security().flatMap((s) => s.all().map((r) => r.scheme().type()))).toEqual(['http']);
    expect(
      Object.fromEntries(
        document
          .channels()
          .all()
          .map((c) => [c.id(), c.address()]),
      ),
    ).toEqual({
      dashboard: 'dashboard',
      job: 'job:{jobId}',
      run: 'run:{runId}',
      connection: '/',
    });
    for (const event of ['subscribe', 'unsubscribe']) {
      const op = document.operations().get(event)!;
      expect(op.action()).toBe('send');
      expect(
        op
          .messages()
          .all()
          .map((m) => m.name()),
      ).toEqual([event]);
      expect(
        op
          .reply()
          ?.messages()
          .all()
          .map((m) => m.name()),
      ).toEqual([`${event} ack`]);
    }
  });

  it('is linked from the interactive docs', async () => {
    const page = await stack.request('GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.body).toContain('href="/api/asyncapi.json"');
  });

  it('names every event the server emits, and none it does not', async () => {
    const emitted = await emittedInSource();
    const documented = new Set(
      document
        .operations()
        .filterByReceive()
        .flatMap((op) =>
          op
            .messages()
            .all()
            .map((m) => m.name()),
        ),
    );
    expect(emitted.size).toBeGreaterThan(0);
    expect([...emitted].sort()).toEqual([...documented].sort());
    expect(receivedOn('connection')).toEqual(new Set(['resync']));
  });

  it('describes what real sockets receive on each topic: every event on its channel, every payload and ack matching its schema', async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validators = new Map<string, ValidateFunction>();
    const payloadOf = (name: string) => {
      const message = document
        .messages()
        .all()
        .find((m) => m.name() === name);
      if (!message) throw new Error(`no message named ${name}`);
      if (!validators.has(name)) validators.set(name, ajv.compile(message.payload()!.json() as object));
      return validators.get(name)!;
    };
    const check = (name: string, payload: unknown) => {
      const validate = payloadOf(name);
      expect(validate(payload), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    };

    const token = stack.admin.token;
    const created = await stack.request<JobDto>('POST', '/api/jobs', {
      token,
      body: { name: 'described', type: 'shell', params: { script: 'echo one; sleep 1; echo two >&2' }, schedule: { cron: '* * * * * *', timezone: 'UTC' } },
    });
    const job = created.body;
    const received: Record<'dashboard' | 'job' | 'run', string[]> = { dashboard: [], job: [], run: [] };
    const sockets = { dashboard: stack.connect(token), job: stack.connect(token), run: stack.connect(token) };
    for (const topic of ['dashboard', 'job', 'run'] as const) {
      sockets[topic].onAny((event: string, payload: unknown) => {
        received[topic].push(event);
        check(event, payload);
      });
    }
    const dashboardAck = await subscribe(sockets.dashboard, { topic: 'dashboard' });
    check('subscribe ack', dashboardAck);
    const jobAck = await subscribe(sockets.job, { topic: 'job', jobId: job.id });
    check('subscribe ack', jobAck);
    expect(jobAck).toMatchObject({ ok: true, job: { id: job.id } });

    const run = (await stack.request<RunDto>('POST', `/api/jobs/${job.id}/runs`, { token, body: {} })).body;
    const runAck = await subscribe(sockets.run, { topic: 'run', runId: run.id, afterSeq: 0 });
    check('subscribe ack', runAck);
    expect(runAck).toMatchObject({ ok: true, run: { id: run.id } });
    check('subscribe ack', await subscribe(sockets.run, { topic: 'run', runId: 'nope' }));
    check('unsubscribe ack', await new Promise((resolve) => sockets.run.emit('unsubscribe', { topic: 'job', jobId: job.id }, resolve)));

    const runFinished = new Promise<void>((resolve) => sockets.run.on('run:updated', (r) => r.id === run.id && r.status === 'succeeded' && resolve()));
    await runFinished;
    await waitFor(() => received.run.includes('run:log') && received.job.includes('schedule:recorded'), 'a run:log and a schedule:recorded');
    await stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token, body: { schedulePaused: true } });
    await waitFor(() => received.job.includes('job:updated'), 'job:updated');
    await waitFor(
      async () => {
        const deleted = await stack.request('DELETE', `/api/jobs/${job.id}`, { token });
        // 409 while a scheduled run is still queued or running.
        if (deleted.status !== 204) expect(deleted.status).toBe(409);
        return deleted.status === 204;
      },
      'the job to be deletable',
      { timeoutMs: 30_000, everyMs: 200 },
    );
    await waitFor(() => received.job.includes('job:deleted') && received.dashboard.includes('job:deleted'), 'job:deleted');
    // The worker took the run and let it go: its snapshot changed twice.
    await waitFor(() => received.dashboard.includes('worker:updated'), 'worker:updated');

    for (const topic of ['dashboard', 'job', 'run'] as const) {
      const documented = receivedOn(topic);
      expect(received[topic].length).toBeGreaterThan(0);
      for (const event of new Set(received[topic])) expect(documented, `${event} on the ${topic} topic`).toContain(event);
    }
    expect(new Set(received.dashboard)).toEqual(new Set(['run:updated', 'job:updated', 'job:deleted', 'schedule:recorded', 'worker:updated']));
    expect(new Set(received.run)).toEqual(new Set(['run:updated', 'run:log']));
  });
});

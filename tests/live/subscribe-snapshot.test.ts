import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, JobSummaryDto, LogLineDto, RunDto, RunSummaryDto, SubscribeAck } from '@jobflow/shared';
import { createClient, type JobflowClient } from '@jobflow/shared/client';
import { startStack, type LiveSocket, type Stack } from '../support/stack';
import { subscribe } from '../support/live';
import { waitFor } from '../support/wait';

let stack: Stack;
let token: string;
const clients: JobflowClient[] = [];

beforeAll(async () => {
  stack = await startStack();
  token = stack.admin.token;
});
afterAll(async () => {
  for (const client of clients) client.close();
  await stack.stop();
});

const createJob = async (type: string, params: Record<string, unknown>): Promise<JobDto> =>
  (await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name: `job ${Math.random()}`, type, params } })).body;
const startRun = async (jobId: string): Promise<RunDto> => (await stack.request<RunDto>('POST', `/api/jobs/${jobId}/runs`, { token, body: {} })).body;
const getRun = async (runId: string): Promise<RunDto> => (await stack.request<RunDto>('GET', `/api/runs/${runId}`, { token })).body;

/** Polls the run over REST until it has `status`. */
const runWhen = (runId: string, status: RunDto['status']): Promise<RunDto> =>
  waitFor(
    async () => {
      const run = await getRun(runId);
      return run.status === status && run;
    },
    `run ${runId} to be ${status}`,
    { everyMs: 50 },
  );

/** Everything a socket receives for one run: snapshots and lines, in arrival order. */
function record(socket: LiveSocket, runId: string) {
  const versions: number[] = [];
  const lines: LogLineDto[] = [];
  socket.on('run:updated', (run) => run.id === runId && versions.push(run.version));
  socket.on('run:log', (event) => event.runId === runId && lines.push(...event.lines));
  return { versions, lines, seqs: () => new Set(lines.map((l) => l.seq)) };
}

const runAck = (ack: SubscribeAck): RunDto => {
  if (!ack.ok || !('run' in ack)) throw new Error(`expected a run snapshot, got ${JSON.stringify(ack)}`);
  return ack.run;
};

describe('the subscribe ack carries the topic snapshot', () => {
  it('a run that ended before the subscription: the ack says so at once, and the replay brings its logCount lines', async () => {
    const job = await createJob('shell', { script: 'for i in 1 2 3 4 5; do echo "n $i"; done; echo warn >&2' });
    const run = await startRun(job.id);
    const stored = await runWhen(run.id, 'succeeded');

    const socket = stack.connect(token);
    const seen = record(socket, run.id);
    const ack = await subscribe(socket, { topic: 'run', runId: run.id, afterSeq: 0 });
    const snapshot = runAck(ack);
    expect(snapshot).toEqual(stored);
    expect(snapshot.status).toBe('succeeded');
    expect(snapshot.logCount).toBe(6);
    await waitFor(() => seen.seqs().size >= snapshot.logCount, 'the replayed lines');
    expect(seen.lines.map((l) => l.text)).toEqual(['n 1', 'n 2', 'n 3', 'n 4', 'n 5', 'warn']);
    // Nothing changes any more: no run:updated follows the snapshot.
    expect(seen.versions).toEqual([]);
  });

  it('a running run: the ack snapshot, then every later version as run:updated and every line up to the end, none missing', async () => {
    const job = await createJob('sleep', { seconds: 3 });
    const run = await startRun(job.id);
    const watcher = stack.connect(token);
    await subscribe(watcher, { topic: 'job', jobId: job.id });
    const running = await new Promise<RunSummaryDto>((resolve) => watcher.on('run:updated', (r) => r.id === run.id && r.status === 'running' && resolve(r)));

    const socket = stack.connect(token);
    const seen = record(socket, run.id);
    const snapshot = runAck(await subscribe(socket, { topic: 'run', runId: run.id, afterSeq: 0 }));
    expect(snapshot.id).toBe(run.id);
    expect(snapshot.version).toBeGreaterThanOrEqual(running.version);

    const stored = await runWhen(run.id, 'succeeded');
    await waitFor(() => seen.versions.includes(stored.version) && seen.seqs().size >= stored.logCount, 'the last version and line');
    // Every version after the snapshot's arrived as an event; the snapshot's lines came with the replay.
    for (let v = snapshot.version + 1; v <= stored.version; v++) expect(seen.versions, `version ${v}`).toContain(v);
    expect([...seen.seqs()].sort((a, b) => a - b)).toEqual(Array.from({ length: stored.logCount }, (_, i) => i + 1));
    expect(snapshot.logCount).toBeLessThanOrEqual(stored.logCount);
  });

  it('a job topic acks with the job, then broadcasts its changes; the dashboard acks with ok alone', async () => {
    const job = await createJob('sleep', { seconds: 0 });
    const socket = stack.connect(token);
    const updates: JobSummaryDto[] = [];
    socket.on('job:updated', (j) => updates.push(j));
    const ack = await subscribe(socket, { topic: 'job', jobId: job.id });
    expect(ack).toEqual({ ok: true, job: (await stack.request<JobDto>('GET', `/api/jobs/${job.id}`, { token })).body });

    await stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token, body: { description: 'changed after subscribing' } });
    await waitFor(() => updates.find((j) => j.description === 'changed after subscribing'), 'the job:updated broadcast');

    const dashboard = stack.connect(token);
    expect(await subscribe(dashboard, { topic: 'dashboard' })).toEqual({ ok: true });
  });

  it('refuses unknown and malformed topics with the contract error, and the socket gets nothing of them', async () => {
    const socket = stack.connect(token);
    const received: string[] = [];
    socket.onAny((event: string) => received.push(event));
    const unknownRun = await subscribe(socket, { topic: 'run', runId: '00000000-0000-4000-8000-000000000000', afterSeq: 0 });
    expect(unknownRun).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await subscribe(socket, { topic: 'job', jobId: 'not-a-uuid' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await subscribe(socket, { topic: 'run', runId: 'x', afterSeq: -1 })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await subscribe(socket, { topic: 'weather' })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(received).toEqual([]);
  });
});

describe('followRun with the ack snapshot', () => {
  it('a run already over when followed ends after its lines came with the replay, with no REST log read', async () => {
    const requested: string[] = [];
    const client = createClient({
      url: stack.baseUrl,
      token,
      fetch: (input, init) => {
        requested.push(new URL(String(input instanceof Request ? input.url : input)).pathname);
        return fetch(input, init);
      },
    });
    clients.push(client);
    const job = await createJob('shell', { script: 'for i in $(seq 1 2500); do echo "line $i"; done; exit 4' });
    const run = await startRun(job.id);
    await runWhen(run.id, 'failed');

    const follow = client.followRun(run.id, { afterSeq: 100 });
    const seqs: number[] = [];
    for await (const event of follow) if (event.type === 'log') seqs.push(event.line.seq);
    expect(follow.run?.status).toBe('failed');
    expect(seqs).toEqual(Array.from({ length: follow.run!.logCount - 100 }, (_, i) => i + 101));
    expect(requested.filter((path) => path.endsWith('/logs'))).toEqual([]);
  });
});

import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK_OPEN, startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';
import { eventually } from '../schedules/fake-scheduler';
import { startReceiver } from './receiver';

const PUBLIC_URL = 'https://jobflow.example.test';
const SECRET = 'whsec-0123456789-abcdefghij';
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  // The first "succeeded" delivery and everything under /down fail with 500/503; /gone answers 410.
  receiver = await startReceiver((req, all) => {
    if (req.path === '/gone') return 410;
    if (req.path === '/down') return 503;
    const event = req.headers['x-jobflow-event'];
    return event === 'run.succeeded' && all.filter((r) => r.headers['x-jobflow-event'] === event && r.path === req.path).length === 1 ? 500 : 200;
  });
  stack = await startStack({
    worker: { ...LOOPBACK_OPEN, publicUrl: PUBLIC_URL, notify: { maxAttempts: 4, retryBaseMs: 200, timeoutMs: 5000, concurrency: 5 } },
  });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

const logsOf = async (runId: string) =>
  (await stack.request('GET', `/api/runs/${runId}/logs?limit=5000`, { token: stack.admin.token })).body.items as {
    seq: number;
    stream: string;
    text: string;
  }[];
const systemLines = async (runId: string) => (await logsOf(runId)).filter((l) => l.stream === 'system').map((l) => l.text);

async function jobWith(name: string, notifications: unknown[], params: Record<string, unknown> = { seconds: 0 }) {
  const res = await stack.request('POST', '/api/jobs', { token: stack.admin.token, body: { name, type: 'sleep', params, notifications } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('webhook notifications', () => {
  it('POSTs the run signed with the secret, retries after a 500, and logs each attempt on the run', async () => {
    const job = await jobWith('webhook-job', [{ kind: 'webhook', on: ['started', 'succeeded'], url: `${receiver.url}/hook`, secret: SECRET }]);
    expect(job.notifications).toEqual([
      { id: expect.any(String), kind: 'webhook', on: ['started', 'succeeded'], url: `${receiver.url}/hook`, secret: `****${SECRET.slice(-4)}` },
    ]);
    expect(JSON.stringify(job)).not.toContain(SECRET);
    // Sent back as shown (secret masked), the target keeps its secret: deliveries below are signed with it.
    const roundTrip = await stack.request('PATCH', `/api/jobs/${job.id}`, { token: stack.admin.token, body: { notifications: job.notifications } });
    expect(roundTrip.status, JSON.stringify(roundTrip.body)).toBe(200);
    expect(roundTrip.body.notifications).toEqual(job.notifications);

    const socket = stack.connect(stack.admin.token);
    expect(await subscribe(socket, { topic: 'job', jobId: job.id })).toMatchObject({ ok: true, job: { id: job.id } });
    const watcher = collectRun(socket);
    const started = await stack.request('POST', `/api/jobs/${job.id}/runs`, { token: stack.admin.token, body: {} });
    const runId = started.body.id as string;
    expect(await subscribe(socket, { topic: 'run', runId, afterSeq: 0 })).toMatchObject({ ok: true, run: { id: runId } });
    expect((await watcher.untilFinal(runId)).status).toBe('succeeded');

    const lines = await eventually(async () => {
      const l = await systemLines(runId);
      return l.some((t) => t.includes('(succeeded)') && t.includes('delivered')) && l.some((t) => t.includes('(started)') && t.includes('delivered')) && l;
    }, 'both deliveries to be logged');
    // Run logs are read by everyone: a webhook's path (which may carry a token) is masked there.
    const where = `webhook ${new URL(receiver.url).host}/****hook`;
    expect(lines).toContain(`notification (succeeded) via ${where}: failed (HTTP 500), attempt 1 of 4; next try in 200 ms`);
    expect(lines).toContain(`notification (succeeded) via ${where}: delivered (HTTP 200), attempt 2 of 4`);
    expect(lines).toContain(`notification (started) via ${where}: delivered (HTTP 200), attempt 1 of 4`);
    // The outcome lines are ordinary log lines: gapless seq, and pushed live.
    const all = await logsOf(runId);
    expect(all.map((l) => l.seq)).toEqual(all.map((_, i) => i + 1));
    await watcher.linesUntil(runId, all.length);

    const mine = receiver.requests.filter((r) => r.path === '/hook');
    // Deliveries travel independently: their order is not the runs' (receivers order by `run.version`).
    expect(mine.map((r) => r.headers['x-jobflow-event']).sort()).toEqual(['run.started', 'run.succeeded', 'run.succeeded']);
    for (const r of mine) {
      expect(r.headers['x-jobflow-signature']).toBe(sign(r.raw));
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body).toMatchObject({ job: { id: job.id, name: 'webhook-job' }, url: `${PUBLIC_URL}/runs/${runId}` });
      expect(r.body.run.id).toBe(runId);
    }
    const [firstTry, retry] = mine.filter((r) => r.body.event === 'succeeded');
    expect(retry!.body.run).toEqual(firstTry!.body.run);
    expect(retry!.headers['x-jobflow-delivery']).toBe(firstTry!.headers['x-jobflow-delivery']);
    expect(retry!.body.run).toMatchObject({ status: 'succeeded', jobName: 'webhook-job', trigger: { kind: 'manual' } });
    expect(mine.find((r) => r.body.event === 'started')!.body.run.status).toBe('running');
    expect(mine.some((r) => r.headers['x-jobflow-signature'] === sign(r.raw, 'another-secret-entirely'))).toBe(false);
  });

  it('sends "cancelled" for a run cancelled while queued (the server notices that change)', async () => {
    const job = await jobWith('cancel-job', [{ kind: 'webhook', on: ['cancelled'], url: `${receiver.url}/cancelled`, secret: SECRET }], { seconds: 600 });
    // Hold the job's one slot with a long run, so the next one stays queued until it is cancelled.
    await stack.request('PATCH', `/api/jobs/${job.id}`, { token: stack.admin.token, body: { maxConcurrentRuns: 1 } });
    const first = await stack.request('POST', `/api/jobs/${job.id}/runs`, { token: stack.admin.token, body: {} });
    const second = await stack.request('POST', `/api/jobs/${job.id}/runs`, { token: stack.admin.token, body: {} });
    const cancelled = await stack.request('POST', `/api/runs/${second.body.id}/cancel`, { token: stack.admin.token });
    expect(cancelled.body.status).toBe('cancelled');
    const req = await eventually(
      async () => receiver.requests.find((r) => r.path === '/cancelled' && r.body.run.id === second.body.id),
      'the cancelled delivery',
    );
    expect(req.body).toMatchObject({ event: 'cancelled', run: { status: 'cancelled', error: { code: 'cancelled' } } });
    expect(req.headers['x-jobflow-signature']).toBe(sign(req.raw));
    await stack.request('POST', `/api/runs/${first.body.id}/cancel`, { token: stack.admin.token });
    await eventually(async () => receiver.requests.some((r) => r.path === '/cancelled' && r.body.run.id === first.body.id), 'the second cancelled delivery');
  });

  it('gives up at once on a 410, and after the last attempt on a 503', async () => {
    const job = await jobWith('failing-hooks', [
      { kind: 'webhook', on: ['succeeded'], url: `${receiver.url}/gone`, secret: SECRET },
      { kind: 'webhook', on: ['succeeded'], url: `${receiver.url}/down`, secret: SECRET },
    ]);
    const run = await stack.request('POST', `/api/jobs/${job.id}/runs`, { token: stack.admin.token, body: {} });
    const runId = run.body.id as string;
    const lines = await eventually(async () => {
      const l = await systemLines(runId);
      return l.filter((t) => t.includes('giving up')).length === 2 && l;
    }, 'both targets to be given up');
    const host = new URL(receiver.url).host;
    expect(lines).toContain(`notification (succeeded) via webhook ${host}/****gone: failed (HTTP 410), attempt 1 of 4; giving up (retrying would not help)`);
    expect(lines.filter((t) => t.includes(`${host}/****down`))).toEqual([
      `notification (succeeded) via webhook ${host}/****down: failed (HTTP 503), attempt 1 of 4; next try in 200 ms`,
      `notification (succeeded) via webhook ${host}/****down: failed (HTTP 503), attempt 2 of 4; next try in 400 ms`,
      `notification (succeeded) via webhook ${host}/****down: failed (HTTP 503), attempt 3 of 4; next try in 800 ms`,
      `notification (succeeded) via webhook ${host}/****down: failed (HTTP 503), attempt 4 of 4; giving up`,
    ]);
    expect(receiver.requests.filter((r) => r.path === '/gone')).toHaveLength(1);
    expect(receiver.requests.filter((r) => r.path === '/down')).toHaveLength(4);
  });
});

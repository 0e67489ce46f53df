import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLineDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe, waitFor } from '../support/live';

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack();
  token = stack.admin.token;
});
afterAll(() => stack.stop());

const createJob = async (params: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  (await stack.request('POST', '/api/jobs', { token, body: { name: `job ${Math.random()}`, type: 'shell', params, ...extra } })).body;
const startRun = async (jobId: string, body: Record<string, unknown> = {}) => (await stack.request('POST', `/api/jobs/${jobId}/runs`, { token, body })).body;

describe('live runs', () => {
  it('afterSeq joined while lines are still produced: none missing, none twice after ordering by seq', async () => {
    const job = await createJob({ script: 'for i in $(seq 1 3000); do echo "line $i"; if [ $((i % 300)) = 0 ]; then sleep 0.05; fi; done' });
    const run = await startRun(job.id);
    const early = stack.connect(token);
    const earlyWatch = collectRun(early);
    await subscribe(early, { topic: 'run', runId: run.id, afterSeq: 0 });
    await earlyWatch.linesUntil(run.id, 700);
    const late = stack.connect(token);
    const lateWatch = collectRun(late);
    expect(await subscribe(late, { topic: 'run', runId: run.id, afterSeq: 0 })).toMatchObject({ ok: true, run: { id: run.id } });
    lateWatch.seed((await stack.request('GET', `/api/runs/${run.id}`, { token })).body);
    await lateWatch.untilFinal(run.id);
    const lines = await lateWatch.linesUntil(run.id, 3000);
    expect(lines.map((l: LogLineDto) => l.seq)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(lines.map((l) => l.text)).toEqual(Array.from({ length: 3000 }, (_, i) => `line ${i + 1}`));
    const received = lateWatch.received(run.id);
    expect(received.length - 3000, 'repeats only around the join').toBeLessThan(1000);
    const earlyLines = await earlyWatch.linesUntil(run.id, 3000);
    expect(earlyLines).toEqual(lines);
  });

  it('a subscriber with afterSeq n gets exactly the lines after n', async () => {
    const job = await createJob({ script: 'seq 1 50' });
    const run = await startRun(job.id);
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'run', runId: run.id });
    watch.seed((await stack.request('GET', `/api/runs/${run.id}`, { token })).body);
    await watch.untilFinal(run.id);
    const late = stack.connect(token);
    const lateWatch = collectRun(late);
    await subscribe(late, { topic: 'run', runId: run.id, afterSeq: 40 });
    const lines = await lateWatch.linesUntil(run.id, 10);
    expect(lines.map((l) => l.text)).toEqual(['41', '42', '43', '44', '45', '46', '47', '48', '49', '50']);
  });

  it('a failing script ends failed with handler_error and its exit code; rerun starts a new run with the same params', async () => {
    const job = await createJob({ script: 'echo about to fail; exit 3' });
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'dashboard' });
    const run = await startRun(job.id);
    const failed = await watch.untilFinal(run.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ code: 'handler_error', message: 'the script exited with code 3' });
    expect(failed.result).toEqual({ exitCode: 3 });
    expect(failed.durationMs).toBeGreaterThanOrEqual(0);
    const rerun = await stack.request('POST', `/api/runs/${run.id}/rerun`, { token, body: {} });
    expect(rerun.status).toBe(201);
    expect(rerun.body.trigger).toEqual({ kind: 'rerun', userId: stack.admin.id, rerunOf: run.id });
    expect(rerun.body.params).toEqual(run.params);
    const changed = await stack.request('POST', `/api/runs/${run.id}/rerun`, { token, body: { params: { script: 'echo fixed' } } });
    const ok = await watch.untilFinal(changed.body.id);
    expect(ok.status).toBe('succeeded');
    expect(ok.params).toEqual({ script: 'echo fixed' });
    const stored = await stack.request('GET', `/api/jobs/${job.id}`, { token });
    expect(stored.body.params).toEqual({ script: 'echo about to fail; exit 3' });
  });

  it('cancelling a queued run cancels it at once; a running one within 5 s, killing its processes', async () => {
    const job = await createJob({ script: 'echo started; sleep 30; echo never' }, { maxConcurrentRuns: 1 });
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'job', jobId: job.id });
    const first = await startRun(job.id);
    const second = await startRun(job.id);
    await watch.untilStatus(first.id, 'running');
    const queued = await stack.request('POST', `/api/runs/${second.id}/cancel`, { token });
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe('cancelled');
    expect(queued.body.error.code).toBe('cancelled');

    await subscribe(socket, { topic: 'run', runId: first.id, afterSeq: 0 });
    await watch.linesUntil(first.id, 1);
    const requested = Date.now();
    const res = await stack.request('POST', `/api/runs/${first.id}/cancel`, { token });
    expect(res.status).toBe(202);
    const final = await watch.untilFinal(first.id);
    expect(final.status).toBe('cancelled');
    expect(Date.now() - requested).toBeLessThan(5000);
    expect(watch.lines(first.id).map((l) => l.text)).not.toContain('never');
    expect((await stack.request('POST', `/api/runs/${first.id}/cancel`, { token })).status).toBe(409);
  });

  it('dashboard subscribers see jobs created, changed and deleted', async () => {
    const socket = stack.connect(token);
    const events: { type: string; id: string }[] = [];
    socket.on('job:updated', (j) => events.push({ type: 'updated', id: j.id }));
    socket.on('job:deleted', (j) => events.push({ type: 'deleted', id: j.id }));
    await subscribe(socket, { topic: 'dashboard' });
    const job = await createJob({ script: 'true' });
    await stack.request('PATCH', `/api/jobs/${job.id}`, { token, body: { name: 'renamed' } });
    await stack.request('DELETE', `/api/jobs/${job.id}`, { token });
    await waitFor(() => events.length >= 3, 'three job events');
    expect(events).toEqual([
      { type: 'updated', id: job.id },
      { type: 'updated', id: job.id },
      { type: 'deleted', id: job.id },
    ]);
  });

  it('NUL bytes, invalid UTF-8 and over-long lines in output are stored safely', async () => {
    const job = await createJob({ script: "printf 'a\\000b\\n'; printf '\\377\\376 bad\\n'; head -c 40000 /dev/zero | tr '\\0' x; echo; echo after" });
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    const run = await startRun(job.id);
    await subscribe(socket, { topic: 'run', runId: run.id, afterSeq: 0 });
    watch.seed((await stack.request('GET', `/api/runs/${run.id}`, { token })).body);
    const final = await watch.untilFinal(run.id);
    expect(final.status).toBe('succeeded');
    const stored = (await stack.request('GET', `/api/runs/${run.id}/logs`, { token })).body.items as LogLineDto[];
    expect(stored[0]!.text).toBe('a\u2400b');
    expect(stored[1]!.text).toContain('\uFFFD');
    expect(stored.some((l) => l.text.includes('…[truncated'))).toBe(true);
    expect(stored[stored.length - 1]!.text).toBe('after');
  });
});

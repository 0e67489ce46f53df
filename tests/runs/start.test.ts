import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLineDto, LogPageDto, RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('starting a run', () => {
  it('goes queued -> running -> succeeded live, with every log line once and in order', async () => {
    const job = await stack.createJob({ name: 'count', type: 'shell', params: { script: 'for i in $(seq 1 500); do echo line $i; done; echo oops >&2' } });
    const socket = stack.connect(stack.admin.token);
    expect(await subscribe(socket, { topic: 'job', jobId: job.id })).toMatchObject({ ok: true, job: { id: job.id } });
    const watcher = collectRun(socket);

    const started = await stack.request<RunDto>('POST', `/api/jobs/${job.id}/runs`, { token: stack.admin.token, body: {} });
    expect(started.status).toBe(201);
    expect(started.body.status).toBe('queued');
    expect(await subscribe(socket, { topic: 'run', runId: started.body.id, afterSeq: 0 })).toMatchObject({ ok: true, run: { id: started.body.id } });

    const final = await watcher.untilFinal(started.body.id);
    expect(final.status).toBe('succeeded');
    expect(final.result).toEqual({ exitCode: 0 });
    const statuses = watcher.updates(started.body.id).map((r: RunDto) => r.status);
    expect(statuses).toContain('running');
    const versions = watcher.arrived(started.body.id).map((r: RunDto) => r.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(versions.length);

    const lines = await watcher.linesUntil(started.body.id, 501);
    expect(lines.map((l: LogLineDto) => l.seq)).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
    expect(lines[0]!.text).toBe('line 1');
    expect(lines.find((l) => l.stream === 'stderr')?.text).toBe('oops');

    const stored = await stack.request<LogPageDto>('GET', `/api/runs/${started.body.id}/logs?limit=5000`, { token: stack.admin.token });
    expect(stored.status, JSON.stringify(stored.body)).toBe(200);
    expect(stored.body.items).toEqual(lines);
    expect(stored.body.nextAfter).toBe(501);
    const text = await stack.request<string>('GET', `/api/runs/${started.body.id}/logs.txt`, { token: stack.admin.token });
    expect(text.body.split('\n').length).toBe(502);
  });

  it('a failing script ends failed with handler_error and its exit code; rerun starts a new run with the same params', async () => {
    const token = stack.admin.token;
    const job = await stack.createJob({ type: 'shell', params: { script: 'echo about to fail; exit 3' } });
    const socket = stack.connect(token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'dashboard' });
    const run = await stack.startRun(job.id);
    await watch.untilFinal(run.id);
    // The dashboard carries summaries; the whole run (params, result) is read from the API.
    const failed = await stack.getRun(run.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ code: 'handler_error', message: 'the script exited with code 3' });
    expect(failed.result).toEqual({ exitCode: 3 });
    expect(failed.durationMs).toBeGreaterThanOrEqual(0);
    const rerun = await stack.request<RunDto>('POST', `/api/runs/${run.id}/rerun`, { token, body: {} });
    expect(rerun.status).toBe(201);
    expect(rerun.body.trigger).toEqual({ kind: 'rerun', userId: stack.admin.id, rerunOf: run.id });
    expect(rerun.body.params).toEqual(run.params);
    const changed = await stack.request<RunDto>('POST', `/api/runs/${run.id}/rerun`, { token, body: { params: { script: 'echo fixed' } } });
    await watch.untilFinal(changed.body.id);
    const ok = await stack.getRun(changed.body.id);
    expect(ok.status).toBe('succeeded');
    expect(ok.params).toEqual({ script: 'echo fixed' });
    expect((await stack.request<{ params: unknown }>('GET', `/api/jobs/${job.id}`, { token })).body.params).toEqual({ script: 'echo about to fail; exit 3' });
  });
});

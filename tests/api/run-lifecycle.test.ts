import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLineDto, RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('a run end to end', () => {
  it('goes queued -> running -> succeeded live, with every log line once and in order', async () => {
    const job = await stack.request('POST', '/api/jobs', {
      token: stack.admin.token,
      body: { name: 'count', type: 'shell', params: { script: 'for i in $(seq 1 500); do echo line $i; done; echo oops >&2' } },
    });
    expect(job.status).toBe(201);
    const socket = stack.connect(stack.admin.token);
    expect(await subscribe(socket, { topic: 'job', jobId: job.body.id })).toMatchObject({ ok: true, job: { id: job.body.id } });
    const watcher = collectRun(socket);

    const started = await stack.request('POST', `/api/jobs/${job.body.id}/runs`, { token: stack.admin.token, body: {} });
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

    const stored = await stack.request('GET', `/api/runs/${started.body.id}/logs?limit=5000`, { token: stack.admin.token });
    expect(stored.status, JSON.stringify(stored.body)).toBe(200);
    expect(stored.body.items).toEqual(lines);
    expect(stored.body.nextAfter).toBe(501);
    const text = await stack.request('GET', `/api/runs/${started.body.id}/logs.txt`, { token: stack.admin.token });
    expect(text.body.split('\n').length).toBe(502);
  });
});

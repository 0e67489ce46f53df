import { subscribe as listen, unsubscribe as unlisten } from 'node:diagnostics_channel';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLineDto } from '@jobflow/shared';
import { logTraceChannel, type LogStage, type LogTrace } from '@jobflow/core/platform';
import { startStack, type Stack } from '../support/stack';
import { subscribe } from '../support/live';
import { waitFor } from '../support/wait';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(async () => {
  await stack.stop();
});

const STAGES: LogStage[] = ['read', 'sent', 'stored', 'published', 'received', 'delivered'];

describe('the log trace (jobflow:log-trace)', () => {
  it('follows each line of a run through every stage, in order, with its seq once stored', async () => {
    const goFile = join(tmpdir(), `jobflow-trace-go-${randomBytes(6).toString('hex')}`);
    const job = await stack.createJob({ type: 'shell', params: { script: `while [ ! -e '${goFile}' ]; do sleep 0.05; done; echo one; echo two; echo three` } });
    const run = await stack.startRun(job.id);
    const socket = stack.connect(stack.admin.token);
    const got: LogLineDto[] = [];
    socket.on('run:log', ({ runId, lines }) => runId === run.id && got.push(...lines));
    expect(await subscribe(socket, { topic: 'run', runId: run.id })).toMatchObject({ ok: true });

    const traces: LogTrace[] = [];
    const onTrace = (m: unknown) => (m as LogTrace).runId === run.id && traces.push(m as LogTrace);
    listen(logTraceChannel.name, onTrace);
    try {
      writeFileSync(goFile, '');
      await waitFor(() => ['one', 'two', 'three'].every((t) => got.some((l) => l.text === t)), 'the three lines at the subscriber');
      await waitFor(() => traces.filter((t) => t.stage === 'delivered').flatMap((t) => t.lines).length >= 3, 'the delivered stage of the three lines');
    } finally {
      unlisten(logTraceChannel.name, onTrace);
      rmSync(goFile, { force: true });
    }

    for (const text of ['one', 'two', 'three']) {
      const passes = STAGES.map((stage) => traces.find((t) => t.stage === stage && t.lines.some((l) => l.text === text)));
      expect(passes.map((p) => p?.stage)).toEqual(STAGES);
      const times = passes.map((p) => p!.atMs);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      const seq = got.find((l) => l.text === text)!.seq;
      for (const p of passes.slice(STAGES.indexOf('stored'))) expect(p!.lines.find((l) => l.text === text)?.seq).toBe(seq);
    }
  });
});

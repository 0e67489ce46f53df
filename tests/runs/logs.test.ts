import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLineDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { collectRun, subscribe } from '../support/live';
import { runToEnd, storedLines } from '../support/runs';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const shellJob = (script: string) => stack.createJob({ type: 'shell', params: { script } });

describe('a run’s log lines', () => {
  it('afterSeq joined while lines are still produced: none missing, none twice after ordering by seq', async () => {
    const job = await shellJob('for i in $(seq 1 3000); do echo "line $i"; if [ $((i % 300)) = 0 ]; then sleep 0.05; fi; done');
    const run = await stack.startRun(job.id);
    const early = stack.connect(stack.admin.token);
    const earlyWatch = collectRun(early);
    await subscribe(early, { topic: 'run', runId: run.id, afterSeq: 0 });
    await earlyWatch.linesUntil(run.id, 700);
    const late = stack.connect(stack.admin.token);
    const lateWatch = collectRun(late);
    expect(await subscribe(late, { topic: 'run', runId: run.id, afterSeq: 0 })).toMatchObject({ ok: true, run: { id: run.id } });
    lateWatch.seed(await stack.getRun(run.id));
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
    const job = await shellJob('seq 1 50');
    const run = await stack.startRun(job.id);
    const socket = stack.connect(stack.admin.token);
    const watch = collectRun(socket);
    await subscribe(socket, { topic: 'run', runId: run.id });
    watch.seed(await stack.getRun(run.id));
    await watch.untilFinal(run.id);
    const late = stack.connect(stack.admin.token);
    const lateWatch = collectRun(late);
    await subscribe(late, { topic: 'run', runId: run.id, afterSeq: 40 });
    const lines = await lateWatch.linesUntil(run.id, 10);
    expect(lines.map((l) => l.text)).toEqual(['41', '42', '43', '44', '45', '46', '47', '48', '49', '50']);
  });

  it('NUL bytes, invalid UTF-8 and over-long lines in output are stored safely', async () => {
    const job = await shellJob("printf 'a\\000b\\n'; printf '\\377\\376 bad\\n'; head -c 40000 /dev/zero | tr '\\0' x; echo; echo after");
    const socket = stack.connect(stack.admin.token);
    const watch = collectRun(socket);
    const run = await stack.startRun(job.id);
    await subscribe(socket, { topic: 'run', runId: run.id, afterSeq: 0 });
    watch.seed(await stack.getRun(run.id));
    const final = await watch.untilFinal(run.id);
    expect(final.status).toBe('succeeded');
    const stored = await storedLines(stack, run.id);
    expect(stored[0]!.text).toBe('a\u2400b');
    expect(stored[1]!.text).toContain('\uFFFD');
    expect(stored.some((l) => l.text.includes('…[truncated'))).toBe(true);
    expect(stored[stored.length - 1]!.text).toBe('after');
  });

  it('reports progress in [0, 1] with growing versions', async () => {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 2 } });
    const { final, updates } = await runToEnd(stack, job.id);
    expect(final.status).toBe('succeeded');
    const progress = updates.map((u) => u.progress).filter((p): p is number => p !== null);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(final.progress).toBe(1);
    const versions = updates.map((u) => u.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });
});

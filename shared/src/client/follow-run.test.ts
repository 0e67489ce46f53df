import { describe, expect, test } from 'vitest';
import type { LogLineDto, RunDto } from '../dto';
import type { Topic } from '../events';
import { followRun, type FollowEvent } from './follow-run';
import type { LiveConnection, SubscribeOptions, TopicHandlers } from './live';
import type { RestApi } from './rest';

const line = (seq: number): LogLineDto => ({ seq, ts: '2026-11-28T12:00:00.000Z', stream: 'stdout', text: `line ${seq}` });
const run = (patch: Partial<RunDto>): RunDto => ({
  id: 'r1',
  jobId: 'j1',
  jobName: 'job',
  status: 'running',
  params: {},
  attempt: 1,
  maxAttempts: 1,
  progress: null,
  queuedAt: '2026-11-28T12:00:00.000Z',
  startedAt: '2026-11-28T12:00:01.000Z',
  finishedAt: null,
  durationMs: null,
  result: null,
  error: null,
  trigger: { kind: 'manual', userId: null },
  logCount: 0,
  version: 2,
  timeoutSec: null,
  paramsChanged: false,
  retryAt: null,
  ...patch,
});

/** A stored log and run, served over "REST", plus a socket whose events the test pushes by hand. */
function fakeServer(initial: RunDto, stored: LogLineDto[]) {
  let current = initial;
  const subscriptions: { topic: Topic; handlers: TopicHandlers; options: SubscribeOptions; isClosed: boolean }[] = [];
  const logRequests: number[] = [];
  const rest = {
    runs: {
      get: async () => current,
      logs: async (_id: string, q: { after?: number; limit?: number }) => {
        logRequests.push(q.after ?? 0);
        const items = stored.filter((l) => l.seq > (q.after ?? 0)).slice(0, q.limit ?? 5000);
        return { items, nextAfter: items[items.length - 1]?.seq ?? q.after ?? 0 };
      },
    },
  } as unknown as RestApi;
  const live = {
    subscribe(topic: Topic, handlers: TopicHandlers, options: SubscribeOptions = {}) {
      const sub = { topic, handlers, options, isClosed: false };
      subscriptions.push(sub);
      // The server acks with the run as stored once the subscription began.
      queueMicrotask(() => !sub.isClosed && handlers.onSubscribed?.({ run: current }));
      return { topic, ready: Promise.resolve(), close: () => (sub.isClosed = true) };
    },
  } as unknown as LiveConnection;
  return {
    rest,
    live,
    subscriptions,
    logRequests,
    setRun: (next: RunDto) => (current = next),
    store: (...lines: LogLineDto[]) => stored.push(...lines),
  };
}

async function collect(iterable: AsyncIterable<FollowEvent>): Promise<FollowEvent[]> {
  const events: FollowEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));
const seqs = (events: FollowEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.line.seq] : []));

describe('followRun', () => {
  test('yields each line once in seq order, drops duplicates and reordering, ignores older snapshots, ends when final', async () => {
    const server = fakeServer(run({ version: 2 }), []);
    const follow = followRun(server.rest, server.live, 'r1');
    const done = collect(follow);
    await tick();
    const sub = server.subscriptions[0];
    expect(sub?.topic).toEqual({ topic: 'run', runId: 'r1', afterSeq: 0 });
    sub?.handlers.onRunLog?.({ runId: 'r1', lines: [line(2), line(1)] });
    sub?.handlers.onRunLog?.({ runId: 'r1', lines: [line(1), line(2), line(3)] });
    sub?.handlers.onRunUpdated?.(run({ version: 1, status: 'queued' }));
    server.store(line(1), line(2), line(3), line(4));
    sub?.handlers.onRunLog?.({ runId: 'r1', lines: [line(4)] });
    const final = run({ version: 5, status: 'succeeded', logCount: 4 });
    server.setRun(final);
    sub?.handlers.onRunUpdated?.(final);
    const events = await done;
    expect(seqs(events)).toEqual([1, 2, 3, 4]);
    const versions = events.flatMap((e) => (e.type === 'run' ? [e.run.version] : []));
    expect(versions).toEqual([2, 5]);
    expect(sub?.isClosed).toBe(true);
  });

  test('fills a gap over REST and resumes after a reconnect from the last seq', async () => {
    const server = fakeServer(run({}), [1, 2, 3, 4, 5, 6].map(line));
    const follow = followRun(server.rest, server.live, 'r1', { afterSeq: 0 });
    const done = collect(follow);
    await tick();
    const sub = server.subscriptions[0];
    sub?.handlers.onRunLog?.({ runId: 'r1', lines: [line(1), line(2)] });
    sub?.handlers.onRunLog?.({ runId: 'r1', lines: [line(5), line(6)] });
    await tick(400);
    expect(server.logRequests).toContain(2);
    expect(follow.lastSeq).toBe(6);
    expect(sub?.options.resumeSeq?.()).toBe(6);
    const final = run({ version: 3, status: 'failed', logCount: 6 });
    server.setRun(final);
    sub?.handlers.onRunUpdated?.(final);
    expect(seqs(await done)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('a run already final when subscribed ends once the replay brought every line up to its logCount, without REST', async () => {
    const stored = Array.from({ length: 30 }, (_, i) => line(i + 1));
    const server = fakeServer(run({ status: 'succeeded', logCount: 30, version: 9 }), stored);
    const follow = followRun(server.rest, server.live, 'r1', { afterSeq: 10 });
    const done = collect(follow);
    await tick();
    const sub = server.subscriptions[0];
    expect(sub?.topic).toEqual({ topic: 'run', runId: 'r1', afterSeq: 10 });
    sub?.handlers.onRunLog?.({ runId: 'r1', lines: stored.slice(10, 20) });
    sub?.handlers.onRunLog?.({ runId: 'r1', lines: stored.slice(20) });
    const got = seqs(await done);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i + 11));
    expect(server.logRequests).toEqual([]);
    expect(sub?.isClosed).toBe(true);
  });

  test('a final run whose replay stalls is read over REST up to its logCount', async () => {
    const server = fakeServer(
      run({ status: 'failed', logCount: 12_000, version: 9 }),
      Array.from({ length: 12_000 }, (_, i) => line(i + 1)),
    );
    const follow = followRun(server.rest, server.live, 'r1', { afterSeq: 10 });
    const done = collect(follow);
    await tick();
    server.subscriptions[0]?.handlers.onRunLog?.({ runId: 'r1', lines: [line(11), line(12)] });
    const got = seqs(await done);
    expect(got[0]).toBe(11);
    expect(got).toHaveLength(11_990);
    expect(got.every((s, i) => s === i + 11)).toBe(true);
    expect(server.logRequests[0]).toBe(12);
    expect(follow.run?.status).toBe('failed');
  });

  test('a resync refetches the snapshot and reads lines the server may have missed', async () => {
    const server = fakeServer(run({ version: 2 }), [line(1)]);
    const follow = followRun(server.rest, server.live, 'r1');
    const done = collect(follow);
    await tick();
    server.store(line(2), line(3));
    server.setRun(run({ version: 4, status: 'succeeded', logCount: 3 }));
    server.subscriptions[0]?.handlers.onRefetch?.('resync');
    const events = await done;
    expect(seqs(events)).toEqual([1, 2, 3]);
    expect(events.filter((e) => e.type === 'run').at(-1)).toMatchObject({ run: { status: 'succeeded' } });
  });

  test('an unknown run fails the iterator with the API error', async () => {
    const server = fakeServer(run({}), []);
    (server.rest.runs as unknown as { get: () => Promise<RunDto> }).get = async () => {
      const { ApiClientError } = await import('./client-error');
      throw new ApiClientError('not_found', 'No such run.', 404);
    };
    await expect(collect(followRun(server.rest, server.live, 'nope'))).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });
});

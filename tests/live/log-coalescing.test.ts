import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLineDto, RunDto, RunUpdatedEvent } from '@jobflow/shared';
import { createLivePublisher, type LivePublisher } from '@jobflow/core/live';
import { createRedis } from '@jobflow/core/platform';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../support/stack';
import { subscribe } from '../support/live';
import { waitFor } from '../support/wait';

let stack: Stack;
let redis: Redis;
let live: LivePublisher;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  redis = createRedis(stack.env.REDIS_URL!);
  live = createLivePublisher(redis, stack.redisPrefix);
});
afterAll(async () => {
  redis.disconnect();
  await stack.stop();
});

const line = (seq: number): LogLineDto => ({ seq, ts: new Date().toISOString(), stream: 'stdout', text: `line ${seq}` });

/** A queued run (no worker takes it): the publisher below speaks for it as a worker would. */
async function queuedRun(): Promise<RunDto> {
  return stack.startRun((await stack.createJob({ type: 'sleep', params: { seconds: 1 } })).id);
}

type Received = { event: 'run:log'; payload: { runId: string; lines: LogLineDto[] } } | { event: 'run:updated'; payload: RunUpdatedEvent };
type LogPacket = Extract<Received, { event: 'run:log' }>;
const logPackets = (events: Received[]) => events.filter((e): e is LogPacket => e.event === 'run:log');

/** Every run event a socket receives, in arrival order. */
async function recorder(topic: Record<string, unknown>) {
  const socket = stack.connect(stack.admin.token);
  const events: Received[] = [];
  socket.on('run:log', (payload) => events.push({ event: 'run:log', payload }));
  socket.on('run:updated', (payload) => events.push({ event: 'run:updated', payload }));
  expect(await subscribe(socket, topic)).toMatchObject({ ok: true });
  return events;
}

describe('run:log packets arriving together are sent as one', () => {
  it('delivers every line once and in order, in fewer packets than were published', async () => {
    const run = await queuedRun();
    const events = await recorder({ topic: 'run', runId: run.id });
    const other = await recorder({ topic: 'run', runId: (await queuedRun()).id });
    for (let seq = 1; seq <= 2000; seq++) live.runLog(run.id, [line(seq)]);
    const lines = () => logPackets(events).flatMap((e) => e.payload.lines);
    await waitFor(() => lines().length >= 2000, '2,000 lines');
    expect(lines().map((l) => l.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    const packets = logPackets(events);
    expect(packets.every((p) => p.payload.runId === run.id)).toBe(true);
    expect(packets.length).toBeLessThan(2000);
    expect(logPackets(other)).toEqual([]);
  });

  it('keeps the order of a run:updated between lines', async () => {
    const run = await queuedRun();
    const events = await recorder({ topic: 'run', runId: run.id });
    for (let seq = 1; seq <= 300; seq++) live.runLog(run.id, [line(seq)]);
    live.runUpdated({ ...run, logCount: 300 });
    for (let seq = 301; seq <= 600; seq++) live.runLog(run.id, [line(seq)]);
    await waitFor(() => logPackets(events).flatMap((e) => e.payload.lines).length >= 600, '600 lines');
    const at = events.findIndex((e) => e.event === 'run:updated');
    const seqs = (part: Received[]) => logPackets(part).flatMap((e) => e.payload.lines.map((l) => l.seq));
    expect(seqs(events.slice(0, at))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(seqs(events.slice(at + 1))).toEqual(Array.from({ length: 300 }, (_, i) => i + 301));
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLineDto } from '@jobflow/shared';
import { createClient, type ConnectionState, type JobflowClient } from '@jobflow/shared/client';
import { startStack, type Stack } from '../support/stack';
import { freePort, killServerProcesses, startProxy, startServerProcess, type Proxy } from './processes';

let stack: Stack;
let adminApiToken: string;
let dir: string;
const clients: JobflowClient[] = [];
const proxies: Proxy[] = [];

beforeAll(async () => {
  stack = await startStack();
  dir = await mkdtemp(join(tmpdir(), 'jobflow-follow-'));
  const created = await stack.request('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'follow tests' } });
  adminApiToken = created.body.token;
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const proxy of proxies) await proxy.close();
  await killServerProcesses();
  await rm(dir, { recursive: true, force: true });
  await stack.stop();
});

const clientFor = (url: string) => {
  const client = createClient({ url, token: adminApiToken });
  clients.push(client);
  return client;
};

/**
 * A shell script that logs a numbered line every few milliseconds until the
 * test creates its stop file, so the run is certainly still logging through
 * whatever the test does to the connection.
 */
const loggingUntil = (stopFile: string) => ({
  script: 'i=0; while [ ! -f "$STOP_FILE" ]; do i=$((i+1)); echo "line $i"; sleep 0.02; done; echo "stopped after $i"',
  env: { STOP_FILE: stopFile },
});

/** Counts the times the client's live connection became `live`. */
function liveCounter(client: JobflowClient) {
  const states: ConnectionState[] = [];
  let lives = 0;
  client.connection.onChange((state) => {
    states.push(state);
    if (state === 'live') lives += 1;
  });
  return {
    states,
    get lives() {
      return lives;
    },
  };
}

/**
 * Follows the run and, as lines arrive, runs each disruption in turn once the
 * connection is live again and at least `linesBetween` more lines came in;
 * after the last one (and more lines after it), creates the stop file.
 */
async function followThrough(client: JobflowClient, runId: string, stopFile: string, disruptions: Array<() => Promise<void> | void>, linesBetween = 25) {
  const live = liveCounter(client);
  const follow = client.followRun(runId);
  const lines: LogLineDto[] = [];
  let step = 0;
  let stepStartedAt = 0;
  let livesBeforeStep = 0;
  let pending: Promise<void> | null = null;
  for await (const event of follow) {
    if (event.type !== 'log') continue;
    lines.push(event.line);
    if (pending) continue;
    const isRecovered = live.lives > livesBeforeStep && lines.length - stepStartedAt >= linesBetween;
    if (!isRecovered) continue;
    stepStartedAt = lines.length;
    livesBeforeStep = live.lives;
    const disrupt = disruptions[step++];
    pending = Promise.resolve(disrupt ? disrupt() : writeFile(stopFile, '')).finally(() => {
      pending = null;
    });
  }
  await pending;
  return { lines, run: follow.run, states: live.states, lives: live.lives, steps: step };
}

async function expectEveryLineOnceInOrder(client: JobflowClient, runId: string, lines: LogLineDto[]) {
  const stored: LogLineDto[] = [];
  for (let after = 0; ;) {
    const page = await client.runs.logs(runId, { after, limit: 5000 });
    if (page.items.length === 0) break;
    stored.push(...page.items);
    after = page.nextAfter;
  }
  expect(lines.map((l) => l.seq)).toEqual(stored.map((_, i) => i + 1));
  expect(lines).toEqual(stored);
  const count = stored.length - 1;
  expect(lines.map((l) => l.text)).toEqual([...Array.from({ length: count }, (_, i) => `line ${i + 1}`), `stopped after ${count}`]);
}

describe('followRun', () => {
  it('yields every line once, in order, across server-side disconnects and a cut network link', async () => {
    const proxy = await startProxy(Number(new URL(stack.baseUrl).port));
    proxies.push(proxy);
    const client = clientFor(proxy.url);
    const stopFile = join(dir, 'stop-disconnects');
    const job = await client.jobs.create({ name: 'follow through disconnects', type: 'shell', params: loggingUntil(stopFile) });
    const run = await client.jobs.run(job.id);

    const result = await followThrough(client, run.id, stopFile, [
      () => stack.app.deps.disconnect({ userId: stack.admin.id }),
      () => void proxy.cutConnections(),
      () => stack.app.deps.disconnect({ userId: stack.admin.id }),
      () => void proxy.cutConnections(),
    ]);

    expect(result.run?.status).toBe('succeeded');
    expect(result.steps).toBe(5);
    // Each disruption really cost the connection, which came back every time.
    expect(result.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(4);
    expect(result.lives).toBeGreaterThanOrEqual(5);
    await expectEveryLineOnceInOrder(client, run.id, result.lines);
    expect(result.run?.logCount).toBe(result.lines.length);
  });

  it('yields every line once, in order, across restarts of the server process while the run is logging', async () => {
    const port = await freePort();
    let server = await startServerProcess(stack.env, port);
    const client = clientFor(server.url);
    const stopFile = join(dir, 'stop-restarts');
    const job = await client.jobs.create({ name: 'follow through restarts', type: 'shell', params: loggingUntil(stopFile) });
    // The run is started through the server process and executed by the stack's worker, which keeps logging throughout.
    const run = await client.jobs.run(job.id);

    const restart = (signal: 'SIGTERM' | 'SIGKILL') => async () => {
      await server.kill(signal);
      server = await startServerProcess(stack.env, port);
    };
    const result = await followThrough(client, run.id, stopFile, [restart('SIGTERM'), restart('SIGKILL')]);

    expect(result.run?.status).toBe('succeeded');
    expect(result.steps).toBe(3);
    expect(result.lives).toBeGreaterThanOrEqual(3);
    await expectEveryLineOnceInOrder(client, run.id, result.lines);
    await server.kill('SIGTERM');
  }, 180_000);

  it('follows a finished run from any seq and ends once its lines are in', async () => {
    const client = clientFor(stack.baseUrl);
    const job = await client.jobs.create({ name: 'short', type: 'shell', params: { script: 'for i in 1 2 3 4 5; do echo "n $i"; done' } });
    const run = await client.jobs.run(job.id);
    const all: string[] = [];
    for await (const event of client.followRun(run.id)) if (event.type === 'log') all.push(event.line.text);
    expect(all).toEqual(['n 1', 'n 2', 'n 3', 'n 4', 'n 5']);

    const tail: number[] = [];
    const follow = client.followRun(run.id, { afterSeq: 3 });
    for await (const event of follow) if (event.type === 'log') tail.push(event.line.seq);
    expect(tail).toEqual([4, 5]);
    expect(follow.run?.status).toBe('succeeded');
  });
});

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CreatedTokenDto, JobDto, LogLineDto, RunDto, RunSummaryDto } from '@jobflow/shared';
import { startStack, type LiveSocket, type Stack } from '../support/stack';
import { startHttpProxy, type HttpProxy } from '../support/http-proxy';
import { freePort, killAll, spawnServer } from '../support/processes';
import { waitFor } from '../support/wait';
import { killPythonProcesses, requirePython, runPython } from '../support/python';
import { storedLines } from '../support/runs';

vi.setConfig({ testTimeout: 240_000 });

let stack: Stack;
let apiToken: string;
let dir: string;
const sockets: LiveSocket[] = [];
const proxies: HttpProxy[] = [];

beforeAll(async () => {
  stack = await startStack();
  apiToken = (await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'cut subscribers' } })).body.token;
  dir = await mkdtemp(join(tmpdir(), 'jobflow-cut-'));
});
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  killPythonProcesses();
  for (const proxy of proxies) await proxy.close();
  await killAll();
  await rm(dir, { recursive: true, force: true });
  await stack.stop();
});

const until = (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000) => waitFor(check, what, { timeoutMs, everyMs: 50 });

/**
 * A shell job that logs a numbered line every 50 ms until its stop file
 * appears, and 20,000 lines of 1 KB at once each time its burst file appears.
 */
async function createLoggingJob(name: string) {
  const stopFile = join(dir, `${name}.stop`);
  const burstFile = join(dir, `${name}.burst`);
  const script = [
    'i=0',
    'while [ ! -f "$STOP_FILE" ]; do',
    '  if [ -f "$BURST_FILE" ]; then n=0; while [ $n -lt 20000 ]; do n=$((n+1)); i=$((i+1)); echo "line $i $PAD"; done; rm -f "$BURST_FILE"; fi',
    '  i=$((i+1)); echo "line $i"; sleep 0.05',
    'done',
    'echo "stopped after $i"',
  ].join('\n');
  const res = await stack.request<JobDto>('POST', '/api/jobs', {
    token: stack.admin.token,
    body: { name, type: 'shell', params: { script, env: { STOP_FILE: stopFile, BURST_FILE: burstFile, PAD: 'x'.repeat(1000) } } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { stopFile, burstFile };
}

/**
 * A plain socket.io-client that follows a run as API.md asks of any client:
 * on every connect it subscribes with `afterSeq` = the last line it holds in
 * order, keeps lines by `seq` and the snapshot with the highest `version`.
 */
function plainFollower(url: string, runId: string) {
  const socket: LiveSocket = io(url, { auth: { token: apiToken }, transports: ['websocket'], forceNew: true, reconnectionDelay: 200 });
  sockets.push(socket);
  const lines = new Map<number, LogLineDto>();
  const disconnects: string[] = [];
  let connects = 0;
  let lastSeq = 0;
  let run: RunDto | RunSummaryDto | null = null;
  const keep = (next: RunDto | RunSummaryDto | undefined) => {
    if (next && next.id === runId && (!run || next.version > run.version)) run = next;
  };
  socket.on('connect', () => {
    connects += 1;
    socket.emit('subscribe', { topic: 'run', runId, afterSeq: lastSeq }, (ack) => keep(ack.ok && 'run' in ack ? ack.run : undefined));
  });
  socket.on('disconnect', (reason) => disconnects.push(reason));
  socket.on('run:updated', keep);
  socket.on('run:log', (event) => {
    for (const line of event.lines) lines.set(line.seq, line);
    while (lines.has(lastSeq + 1)) lastSeq += 1;
  });
  return {
    get connects() {
      return connects;
    },
    get lastSeq() {
      return lastSeq;
    },
    get run() {
      return run;
    },
    disconnects,
    lines: () => [...lines.values()].sort((a, b) => a.seq - b.seq),
  };
}

const logCount = async (runId: string): Promise<number> =>
  (await stack.request<RunDto>('GET', `/api/runs/${runId}`, { token: stack.admin.token })).body.logCount;

/** Starts follow_run.py and the plain client on the same run, through `proxy`, and waits until both stream. */
async function startFollowers(proxy: HttpProxy, jobName: string) {
  const python = runPython('follow_run.py', [jobName], { HOME: dir, JOBFLOW_URL: proxy.url, JOBFLOW_TOKEN: apiToken });
  const runId = await python.runId();
  const plain = plainFollower(proxy.url, runId);
  await python.until(() => python.output().stdout.split('\n').length > 10, 'the Python follower to stream');
  await until(() => plain.lastSeq > 10, 'the plain client to stream');
  return { python, plain, runId };
}

/** Both followers end with every line of the run once and in order, and were never told the session ended for good. */
async function expectEveryLineOnce(followers: Awaited<ReturnType<typeof startFollowers>>, stopFile: string) {
  const { python, plain, runId } = followers;
  await writeFile(stopFile, '');
  expect(await python.exited).toBe(0);
  const stored = await storedLines(stack, runId);
  expect(stored.at(-1)?.text).toMatch(/^stopped after \d+$/);
  // The Python example prints each line once, in order.
  const printed = python.output().stdout;
  expect(printed.split('\n').length - 1).toBe(stored.length);
  expect(printed === stored.map((l) => l.text + '\n').join(''), 'the Python output is the stored log').toBe(true);
  expect(python.output().stderr).not.toContain('the server ended the session');
  await until(() => plain.run?.status === 'succeeded' && plain.lastSeq >= stored.length, 'the plain client to catch up');
  expect(plain.lines()).toEqual(stored);
  expect(plain.disconnects).not.toContain('io server disconnect');
}

describe('connections the server closes come back and catch up by seq', () => {
  it('a subscriber that cannot keep up is cut by closing its transport: a plain socket.io-client and the Python example reconnect', async (ctx) => {
    requirePython(ctx);
    const port = await freePort();
    const server = await spawnServer({ ...stack.env, LOG_LEVEL: 'warn', SOCKET_MAX_BUFFERED_PACKETS: '10' }, port);
    const proxy = await startHttpProxy(port);
    proxies.push(proxy);
    const { stopFile, burstFile } = await createLoggingJob('cut when slow');
    const followers = await startFollowers(proxy, 'cut when slow');
    const { plain, runId } = followers;

    // Stall both followers' links, then log more than the server may hold for them.
    proxy.pauseSocketIo();
    const cuts = () => server.output().split('cannot keep up').length - 1;
    for (let burst = 0; cuts() < 2; burst++) {
      expect(burst, 'bursts logged without the server cutting both stalled subscribers').toBeLessThan(8);
      const before = await logCount(runId);
      await writeFile(burstFile, '');
      await until(async () => !existsSync(burstFile) && (await logCount(runId)) >= before + 20_000, 'the burst to be stored');
      await until(() => cuts() >= 2, 'the server to cut both', 5_000).catch(() => undefined);
    }
    const requestsBefore = proxy.socketIoRequests().length;
    proxy.resumeSocketIo();

    // Each comes back on a new connection and catches up by seq.
    await until(() => plain.connects >= 2 && proxy.socketIoRequests().length >= requestsBefore + 2, 'both to reconnect');
    await expectEveryLineOnce(followers, stopFile);
    await server.stop();
  });

  it('a server shutting down closes the transports: both clients reconnect to the server started in its place', async (ctx) => {
    requirePython(ctx);
    const port = await freePort();
    let server = await spawnServer(stack.env, port);
    const proxy = await startHttpProxy(port);
    proxies.push(proxy);
    const { stopFile } = await createLoggingJob('cut by shutdown');
    const followers = await startFollowers(proxy, 'cut by shutdown');
    const { plain } = followers;

    const requestsBefore = proxy.socketIoRequests().length;
    await server.stop();
    server = await spawnServer(stack.env, port);
    await until(() => plain.connects >= 2 && proxy.socketIoRequests().length >= requestsBefore + 2, 'both to reconnect');
    const seqNow = plain.lastSeq;
    await until(() => plain.lastSeq > seqNow + 10, 'lines after the restart');
    await expectEveryLineOnce(followers, stopFile);
    expect(plain.disconnects[0]).toMatch(/^transport (close|error)$/);
    await server.stop();
  });

  it('a server shutting down leaves the sockets of the other servers connected', async () => {
    const onStack = io(stack.baseUrl, { auth: { token: apiToken }, transports: ['websocket'], forceNew: true, reconnection: false });
    sockets.push(onStack);
    const disconnects: string[] = [];
    const jobsSeen: string[] = [];
    onStack.on('disconnect', (reason) => disconnects.push(reason));
    onStack.on('job:updated', (job) => jobsSeen.push(job.name));
    await new Promise<void>((resolve) => onStack.emit('subscribe', { topic: 'dashboard' }, () => resolve()));

    const other = await spawnServer(stack.env);
    const onOther = io(other.url, { auth: { token: apiToken }, transports: ['websocket'], forceNew: true, reconnection: false });
    sockets.push(onOther);
    await new Promise<void>((resolve) => onOther.on('connect', () => resolve()));
    await other.stop();

    // Published after the other server is gone, so it reaches this server after anything that server sent.
    await stack.request<JobDto>('POST', '/api/jobs', { token: stack.admin.token, body: { name: 'after the shutdown', type: 'sleep', params: { seconds: 0 } } });
    await until(() => jobsSeen.includes('after the shutdown') || disconnects.length > 0, 'an event after the shutdown');
    expect(disconnects).toEqual([]);
    expect(onStack.connected).toBe(true);
  });
});

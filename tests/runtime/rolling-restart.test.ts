import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { isFinalStatus, type JobDto, type LogLineDto, type RunDto } from '@jobflow/shared';
import { startStack, type Stack } from '../support/stack';
import { freePort, killAll, spawnServer, spawnWorker, until, type Proc } from '../support/processes';
import { HAPROXY, startHaProxy, type HaProxy } from '../support/haproxy';
import { killPythonProcesses, requirePython, runPython } from '../support/python';
import type { TestContext } from 'vitest';
import { waitFor } from '../support/wait';
import { storedLines } from '../support/runs';

/**
 * A rolling restart under load, as an operator does it: HAProxy (checking
 * /readyz) in front of two server processes, two worker processes, runs
 * started through the proxy at about 20 a second, two chatty runs followed by
 * ten subscribers (plain socket.io-client scripts and Python ones, written as
 * API.md tells a script to: resubscribe with the last `seq` on every connect).
 * Every server, then every worker, is stopped with SIGTERM and started again.
 */
const STARTS_PER_SEC = 20;
/** The chatty runs print this many lines every quarter of a second until the test tells them to stop. */
const LINES_PER_BEAT = 20;
const RETRYABLE = new Set([502, 503, 504]);
/** Four processes start at once here: give each longer than a lone one needs on a busy machine. */
const START_TIMEOUT_MS = 240_000;

let stack: Stack;
let haproxy: HaProxy | undefined;
/** Where the test tells the chatty runs to stop. */
let stopDir: string | undefined;
const serverPorts: number[] = [];
const servers: (Proc | null)[] = [null, null];
const workers: (Proc | null)[] = [null, null];

const processEnv = () => ({
  ...stack.env,
  LOG_LEVEL: 'info',
  // Longer than HAProxy takes to see /readyz fail (one failed check, every 300 ms).
  SHUTDOWN_DELAY_MS: '1500',
  SHUTDOWN_GRACE_MS: '3000',
  // Subscribers here read every line: no cut for being slow while a server restarts.
});

/** HAProxy must be there in CI (.ci/run installs it); elsewhere the test is skipped without it. */
function requireHaProxy(ctx: TestContext): void {
  if (existsSync(HAPROXY)) return;
  if (process.env.CI) throw new Error(`${HAPROXY} is missing: apt-get install haproxy`);
  ctx.skip(`${HAPROXY} is missing: apt-get install haproxy`);
}

beforeAll(async () => {
  if (!existsSync(HAPROXY)) return;
  stack = await startStack({ workers: 0 });
  serverPorts.push(await freePort(), await freePort());
  const env = processEnv();
  const started = await Promise.all([
    ...serverPorts.map((port) => spawnServer(env, port, START_TIMEOUT_MS)),
    spawnWorker(env, 'rolling-w1', START_TIMEOUT_MS),
    spawnWorker(env, 'rolling-w2', START_TIMEOUT_MS),
  ]);
  servers.splice(0, 2, started[0]!, started[1]!);
  workers.splice(0, 2, started[2]!, started[3]!);
  haproxy = await startHaProxy(serverPorts);
  await until(async () => Object.values(await haproxy!.states()).every((s) => s === 'UP'), 'HAProxy to see both servers up');
}, 600_000);

afterAll(async () => {
  killPythonProcesses();
  await haproxy?.stop();
  await killAll();
  await stack?.stop();
  if (stopDir) await rm(stopDir, { recursive: true, force: true });
});

/** What the clients went through: answers with a retryable status (retried), and anything else that failed. */
const outcomes = { retryable: 0, failures: [] as string[] };

/** A request through the proxy, retried (after a short pause) on 502/503/504, as API.md's clients do. */
async function throughProxy(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(haproxy!.url + path, {
        method,
        headers: { authorization: `Bearer ${stack.admin.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      outcomes.failures.push(`${method} ${path}: ${(e as Error).message}`);
      throw e;
    }
    if (RETRYABLE.has(res.status) && attempt < 20) {
      outcomes.retryable++;
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100 * attempt));
      continue;
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
}

/**
 * A subscriber written from API.md alone: socket.io-client on the WebSocket
 * transport (as docs/operations.md tells scripts behind several servers), on
 * every connect a subscribe with the last `seq` it holds, lines kept by `seq`.
 */
function plainSubscriber(runId: string) {
  const held = new Map<number, string>();
  let contiguous = 0;
  let repeats = 0;
  let connects = 0;
  const reasons: string[] = [];
  const socket: Socket = io(haproxy!.url, {
    auth: { token: stack.admin.token },
    transports: ['websocket'],
    reconnectionDelay: 200,
    reconnectionDelayMax: 1000,
  });
  socket.on('connect', () => {
    connects++;
    socket.emit('subscribe', { topic: 'run', runId, afterSeq: contiguous }, () => {});
  });
  socket.on('disconnect', (reason) => reasons.push(reason));
  socket.on('run:log', ({ runId: id, lines }: { runId: string; lines: LogLineDto[] }) => {
    if (id !== runId) return;
    for (const l of lines) {
      if (held.has(l.seq)) repeats++;
      else held.set(l.seq, l.text);
    }
    while (held.has(contiguous + 1)) contiguous++;
  });
  return {
    held: () => [...held.entries()].sort((a, b) => a[0] - b[0]),
    contiguous: () => contiguous,
    stats: () => ({ connects, repeats, disconnects: reasons }),
    close: () => socket.close(),
  };
}

async function restart(kind: 'server' | 'worker', i: number): Promise<void> {
  const env = processEnv();
  if (kind === 'server') {
    expect(await servers[i]!.stop()).toBe(0);
    servers[i] = await spawnServer(env, serverPorts[i], START_TIMEOUT_MS);
    await until(async () => (await haproxy!.states())[`s${i + 1}`] === 'UP', `HAProxy to see server ${i + 1} up again`);
  } else {
    expect(await workers[i]!.stop()).toBe(0);
    workers[i] = await spawnWorker(env, `rolling-w${i + 1}-again`, START_TIMEOUT_MS);
  }
}

describe('a rolling restart of two servers and two workers behind HAProxy, under load', { timeout: 900_000 }, () => {
  it('loses no run and no line, and answers nothing but retryable statuses', async (ctx) => {
    requireHaProxy(ctx);
    requirePython(ctx);
    const token = stack.admin.token;
    const createJob = async (name: string, type: string, params: Record<string, unknown>) =>
      (await stack.request<JobDto>('POST', '/api/jobs', { token, body: { name, type, params, maxAttempts: 3 } })).body;
    const quick = await createJob('rolling-quick', 'sleep', { seconds: 0 });
    stopDir = await mkdtemp(join(tmpdir(), 'jobflow-rolling-'));
    const stopFile = join(stopDir, 'stop');
    const chattyScript = `b=0; while [ ! -e ${stopFile} ]; do b=$((b+1)); for l in $(seq 1 ${LINES_PER_BEAT}); do echo "beat $b line $l"; done; sleep 0.25; done`;
    await createJob('rolling-chatty', 'shell', { script: chattyScript });

    // Two Python followers start the chatty runs through the proxy and stream them.
    const python = [0, 1].map(() => runPython('follow_run.py', ['rolling-chatty'], { JOBFLOW_URL: haproxy!.url, JOBFLOW_TOKEN: token, HOME: '/nonexistent' }));
    const chattyRunIds = await Promise.all(python.map((p) => p.runId()));
    // Eight plain socket.io-client subscribers, four on each run.
    const plain = Array.from({ length: 8 }, (_, i) => ({ runId: chattyRunIds[i % 2]!, sub: plainSubscriber(chattyRunIds[i % 2]!) }));

    // About 20 run starts a second through the proxy, each retried until it is answered.
    const accepted: string[] = [];
    let isLoading = true;
    const inFlight = new Set<Promise<void>>();
    const load = (async () => {
      while (isLoading) {
        const start = throughProxy('POST', `/api/jobs/${quick.id}/runs`, { params: { seconds: 0 } }).then(
          (res) => {
            if (res.status === 201) accepted.push((res.body as RunDto).id);
            else outcomes.failures.push(`start answered ${res.status}: ${JSON.stringify(res.body)}`);
          },
          () => {},
        );
        inFlight.add(start);
        void start.finally(() => inFlight.delete(start));
        await new Promise((r) => setTimeout(r, 1000 / STARTS_PER_SEC));
      }
      await Promise.all(inFlight);
    })();

    await waitFor(() => plain.every((p) => p.sub.contiguous() > 0), 'every subscriber to get lines');
    for (const i of [0, 1]) await restart('server', i);
    for (const i of [0, 1]) await restart('worker', i);
    isLoading = false;
    await load;
    await writeFile(stopFile, '');

    // Every accepted run, and every other run of the job, reaches one final state (read in PostgreSQL: thousands of runs).
    const statusesOf = async () =>
      new Map(
        (await stack.sql<{ id: string; status: RunDto['status'] }>(`select id, status from runs where id = any($1::uuid[])`, [accepted])).map((r) => [
          r.id,
          r.status,
        ]),
      );
    await waitFor(async () => [...(await statusesOf()).values()].every(isFinalStatus), 'every accepted run to end', { timeoutMs: 180_000, everyMs: 500 });
    const statuses = await statusesOf();
    expect(statuses.size).toBe(new Set(accepted).size);
    expect([...statuses.values()].filter((s) => s !== 'succeeded')).toEqual([]);
    const unfinished = await stack.sql(`select id, status from runs where job_id = $1 and status not in ('succeeded', 'failed', 'cancelled')`, [quick.id]);
    expect(unfinished).toEqual([]);

    // The chatty runs end, and every subscriber holds every stored line once, in order.
    const exits = await Promise.all(python.map((p) => p.exited));
    expect(exits).toEqual([0, 0]);
    const stored = new Map<string, LogLineDto[]>();
    for (const id of chattyRunIds) {
      const run = (await stack.request<RunDto>('GET', `/api/runs/${id}`, { token })).body;
      expect(run.status).toBe('succeeded');
      const lines = await storedLines(stack, id);
      expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: run.logCount }, (_, k) => k + 1));
      stored.set(id, lines);
    }
    for (const [i, p] of python.entries()) {
      const expected = stored
        .get(chattyRunIds[i]!)!
        .filter((l) => l.stream === 'stdout')
        .map((l) => l.text);
      expect(p.output().stdout.split('\n').slice(0, -1)).toEqual(expected);
    }
    for (const { runId, sub } of plain) {
      const lines = stored.get(runId)!;
      await waitFor(() => sub.contiguous() === lines.length, `a subscriber of ${runId} to hold all ${lines.length} lines`, { timeoutMs: 30_000 });
      expect(sub.held()).toEqual(lines.map((l) => [l.seq, l.text]));
    }
    const stats = plain.map((p) => p.sub.stats());
    for (const p of plain) p.sub.close();
    // The servers' restarts closed connections rather than ending sessions: every subscriber came back by itself.
    expect(stats.flatMap((s) => s.disconnects).filter((reason) => reason === 'io server disconnect')).toEqual([]);
    expect(stats.every((s) => s.connects >= 2)).toBe(true);

    expect(outcomes.failures).toEqual([]);
    console.log(
      `rolling restart: ${accepted.length} runs accepted (all final), chatty runs of ${[...stored.values()].map((l) => l.length).join(' and ')} lines, ` +
        `each of 10 subscribers holding every line once in order (plain: ${stats.map((s) => `${s.connects} connects, ${s.repeats} repeats`).join('; ')}), ` +
        `${outcomes.retryable} retryable answers (502/503/504), ${outcomes.failures.length} failures`,
    );
  });
});

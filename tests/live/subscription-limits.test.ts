import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '@jobflow/shared';
import { startStack, type LiveSocket, type Stack } from '../support/stack';
import { subscribe, waitFor } from '../support/live';

const LONG_LOG_LINES = 200_000;

let stack: Stack;
let client: pg.Client;
let jobId: string;

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  jobId = (await stack.request('POST', '/api/jobs', { token: stack.admin.token, body: { name: 'logs', type: 'sleep', params: { seconds: 0 } } })).body.id;
});
afterAll(async () => {
  await client?.end();
  await stack?.stop();
});

/** Finished runs of the job with `lines` stored log lines each, written straight to PostgreSQL. */
async function runsWithLogs(count: number, lines: number): Promise<string[]> {
  const runs = await client.query<{ id: string }>(
    `insert into runs (job_id, status, params, max_attempts, trigger_kind, log_count, finished_at)
     select $1, 'succeeded', '{}', 1, 'manual', $2, now() from generate_series(1, $3) returning id`,
    [jobId, lines, count],
  );
  const ids = runs.rows.map((r) => r.id);
  if (lines > 0) {
    await client.query(
      `insert into run_logs (run_id, seq, ts, stream, text)
       select r.id, s, now(), 'stdout', 'line ' || s from unnest($1::uuid[]) as r(id), generate_series(1, $2) as s`,
      [ids, lines],
    );
  }
  return ids;
}

const connected = (socket: LiveSocket) =>
  new Promise<string | null>((resolve) => {
    socket.once('connect', () => resolve(null));
    socket.once('connect_error', (e) => resolve(e.message));
  });

describe('bounded live work per socket and user', () => {
  it('subscribing to a run again replaces the socket’s earlier replay: 20 subscriptions read a 200,000-line log once', async () => {
    const [runId] = await runsWithLogs(1, LONG_LOG_LINES);
    const socket = stack.connect(stack.admin.token);
    let received = 0;
    const seqs = new Set<number>();
    socket.on('run:log', ({ lines }) => {
      received += lines.length;
      for (const l of lines) seqs.add(l.seq);
    });
    const acks = await Promise.all(Array.from({ length: 20 }, () => subscribe(socket, { topic: 'run', runId: runId!, afterSeq: 0 })));
    expect(acks.every((a) => a.ok)).toBe(true);

    await waitFor(() => seqs.size === LONG_LOG_LINES, 'every line', 120_000);
    // A round trip after the last line: whatever an earlier replay still had to send would be ahead of it.
    expect(await subscribe(socket, { topic: 'dashboard' })).toMatchObject({ ok: true });
    // Every replay but the last was cancelled before it sent its second page (1,000 lines a page).
    expect(received).toBeLessThan(LONG_LOG_LINES + 20 * 1000);
    socket.disconnect();
  });

  it('refuses subscriptions past the cap per socket, and replays past the cap of concurrent replays, with rate_limited', async () => {
    const many = await runsWithLogs(2000, 0);
    const socket = stack.connect(stack.admin.token);
    const acks: Ack[] = await Promise.all(many.map((runId) => subscribe(socket, { topic: 'run', runId })));
    expect(acks.filter((a) => a.ok)).toHaveLength(200);
    const refused = acks.filter((a) => !a.ok);
    expect(refused).toHaveLength(1800);
    expect(refused[0]).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    // Leaving one makes room for another.
    const joined = many.filter((_, i) => acks[i]!.ok);
    expect(await new Promise<Ack>((resolve) => socket.emit('unsubscribe', { topic: 'run', runId: joined[0]! }, resolve))).toMatchObject({ ok: true });
    expect(await subscribe(socket, { topic: 'run', runId: many.find((_, i) => !acks[i]!.ok)! })).toMatchObject({ ok: true });
    socket.disconnect();

    const long = await runsWithLogs(6, 50_000);
    const replaying = stack.connect(stack.admin.token);
    const replays = await Promise.all(long.map((runId) => subscribe(replaying, { topic: 'run', runId, afterSeq: 0 })));
    expect(replays.filter((a) => a.ok)).toHaveLength(4);
    expect(replays.filter((a) => !a.ok && a.error.code === 'rate_limited')).toHaveLength(2);
    replaying.disconnect();
  });

  it('refuses a user’s sockets past the cap with connect_error rate_limited, and admits one again when another closes', async () => {
    const user = await stack.createUser();
    const sockets = Array.from({ length: 50 }, () => stack.connect(user.token));
    expect(await Promise.all(sockets.map(connected))).toEqual(Array(50).fill(null));
    const extra = stack.connect(user.token, { autoConnect: false });
    extra.io.opts.reconnection = false;
    const refused = connected(extra);
    extra.connect();
    expect(await refused).toBe('rate_limited');
    // Another user is not affected.
    const other = stack.connect(stack.admin.token);
    expect(await connected(other)).toBeNull();

    sockets[0]!.disconnect();
    const again = stack.connect(user.token, { autoConnect: false });
    const admitted = connected(again);
    // The server notices the closed socket shortly after the client closes it.
    await new Promise((r) => setTimeout(r, 300));
    again.connect();
    expect(await admitted).toBeNull();
    for (const s of [...sockets, extra, other, again]) s.disconnect();
  });
});

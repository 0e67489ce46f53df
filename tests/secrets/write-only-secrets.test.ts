import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK_OPEN, startStack, type LiveSocket, type Stack, type TestUser } from '../support/stack';
import { collectRun, subscribe, waitFor } from '../support/live';
import { track, untrack } from '../support/leak-check';

const SHELL_SECRET = 'shell-env-secret-9f3a2c71';
const HEADER_TOKEN = 'header-secret-55e1b0d4';
const URL_PASSWORD = 'url-pass-7c2e91aa';
const WEBHOOK_SECRET = 'whsec-webhook-secret-0a1b2c3d';
const SLACK_TOKEN = 'slacktoken8899aabbccdd';
const WEBHOOK_URL_TOKEN = 'webhook-url-token-4455';
const COOKIE = 'session-cookie-secret-6677';
const PLAINTEXTS = [SHELL_SECRET, HEADER_TOKEN, URL_PASSWORD, WEBHOOK_SECRET, SLACK_TOKEN, WEBHOOK_URL_TOKEN, COOKIE];

/** The plaintext secrets found in `text` (none, when everything is masked). */
const leaked = (text: string) => PLAINTEXTS.filter((secret) => text.includes(secret));

interface Seen {
  path: string;
  authorization?: string;
}

let stack: Stack;
let owner: TestUser;
let stranger: TestUser;
let server: http.Server;
let base = '';
const seen: Seen[] = [];
let strangerSocket: LiveSocket;
const strangerEvents: unknown[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ path: req.url ?? '/', authorization: req.headers.authorization });
      if (req.url?.startsWith('/data.csv')) return res.writeHead(200, { 'content-type': 'text/csv' }).end('id\n1\n');
      // Echoes the credentials back and sets a cookie: both end up in an http run's result unless redacted.
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': `session=${COOKIE}; HttpOnly` }).end(`you sent ${req.headers.authorization}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  track(server, 'the echo server');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stack = await startStack({ worker: LOOPBACK_OPEN });
  owner = await stack.createUser();
  stranger = await stack.createUser();
  strangerSocket = stack.connect(stranger.token);
  for (const event of ['run:updated', 'job:updated', 'run:log'] as const) strangerSocket.on(event, (payload: unknown) => strangerEvents.push(payload));
  expect(await subscribe(strangerSocket, { topic: 'dashboard' })).toMatchObject({ ok: true });
});

afterAll(async () => {
  await stack?.stop();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  untrack(server);
});

async function finalRun(runId: string, token: string) {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const run = (await stack.request('GET', `/api/runs/${runId}`, { token })).body;
    if (['succeeded', 'failed', 'cancelled'].includes(run.status)) return run;
  }
  throw new Error(`run ${runId} did not finish`);
}

async function createJob(user: TestUser, body: Record<string, unknown>) {
  const res = await stack.request('POST', '/api/jobs', { token: user.token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function runOf(jobId: string, user: TestUser, body: Record<string, unknown> = {}) {
  const res = await stack.request('POST', `/api/jobs/${jobId}/runs`, { token: user.token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return finalRun(res.body.id, user.token);
}

describe('secrets are write-only', () => {
  let shellJob: { id: string };
  let httpJob: { id: string };
  let checkJob: { id: string };
  const runIds: string[] = [];

  it('are masked everywhere a second user looks: jobs, runs, results, logs, events', async () => {
    shellJob = await createJob(stack.admin, {
      name: 'deploy',
      type: 'shell',
      params: { script: 'echo "token=$API_TOKEN"; echo "again: $API_TOKEN" >&2', env: { API_TOKEN: SHELL_SECRET, REGION: 'eu' } },
    });
    httpJob = await createJob(owner, {
      name: 'ping api',
      type: 'http',
      params: { url: `${base}/ping`, headers: { Authorization: `Bearer ${HEADER_TOKEN}` } },
      notifications: [
        { kind: 'webhook', on: ['succeeded'], url: `${base}/hook?token=${WEBHOOK_URL_TOKEN}`, secret: WEBHOOK_SECRET },
        { kind: 'slack', on: ['succeeded'], url: `${base}/services/T1/B1/${SLACK_TOKEN}` },
      ],
    });
    checkJob = await createJob(owner, {
      name: 'check data',
      type: 'data-check',
      params: { url: `http://reader:${URL_PASSWORD}@127.0.0.1:${new URL(base).port}/data.csv` },
    });

    for (const [job, user] of [
      [shellJob, stack.admin],
      [httpJob, owner],
      [checkJob, owner],
    ] as const) {
      const run = await runOf(job.id, user);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      runIds.push(run.id);
    }
    // The secrets did their job: the server got the header and the URL's credentials.
    expect(seen.find((s) => s.path === '/ping')?.authorization).toBe(`Bearer ${HEADER_TOKEN}`);
    expect(seen.find((s) => s.path === '/data.csv')?.authorization).toBe(`Basic ${Buffer.from(`reader:${URL_PASSWORD}`).toString('base64')}`);
    await waitFor(() => seen.some((s) => s.path.startsWith('/services/')) && seen.some((s) => s.path.startsWith('/hook')), 'both notifications');

    // What the stranger reads over REST.
    const reads = [
      '/api/jobs',
      `/api/jobs/${shellJob.id}`,
      `/api/jobs/${httpJob.id}`,
      `/api/jobs/${checkJob.id}`,
      '/api/runs',
      ...runIds.flatMap((id) => [`/api/runs/${id}`, `/api/runs/${id}/logs`, `/api/runs/${id}/logs.txt`]),
    ];
    for (const path of reads) {
      const res = await stack.request('GET', path, { token: stranger.token });
      expect(res.status, path).toBe(200);
      expect(leaked(typeof res.body === 'string' ? res.body : JSON.stringify(res.body)), path).toEqual([]);
    }
    const shown = (await stack.request('GET', `/api/jobs/${httpJob.id}`, { token: stranger.token })).body;
    expect(shown.params.headers).toEqual({ Authorization: `****${HEADER_TOKEN.slice(-4)}` });
    expect(shown.notifications.map((t: { url: string }) => t.url)).toEqual([`${base}/****4455`, `${base}/****ccdd`]);
    expect(shown.notifications[0].secret).toBe(`****${WEBHOOK_SECRET.slice(-4)}`);
    const shell = (await stack.request('GET', `/api/jobs/${shellJob.id}`, { token: stranger.token })).body;
    expect(shell.params.env).toEqual({ API_TOKEN: `****${SHELL_SECRET.slice(-4)}`, REGION: '****' });
    const check = (await stack.request('GET', `/api/runs/${runIds[2]}`, { token: stranger.token })).body;
    expect(check.params.url).toBe(`http://****${URL_PASSWORD.slice(-4)}@127.0.0.1:${new URL(base).port}/data.csv`);

    // The shell run printed its secret twice: the stored lines are masked.
    const shellLines = (await stack.request('GET', `/api/runs/${runIds[0]}/logs`, { token: stranger.token })).body.items.map((l: { text: string }) => l.text);
    expect(shellLines).toEqual(expect.arrayContaining(['token=****', 'again: ****']));
    // The http run's result: credential headers redacted, the echoed token masked.
    const httpRun = (await stack.request('GET', `/api/runs/${runIds[1]}`, { token: stranger.token })).body;
    expect(httpRun.result.headers['set-cookie']).toBe('****');
    // The whole header value is the secret.
    expect(httpRun.result.bodyPreview).toBe('you sent ****');

    // Live: every event the stranger's socket got, and a replay of each run's log.
    for (const runId of runIds) {
      const replay = collectRun(strangerSocket);
      expect(await subscribe(strangerSocket, { topic: 'run', runId, afterSeq: 0 })).toMatchObject({ ok: true });
      const stored = (await stack.request('GET', `/api/runs/${runId}`, { token: stranger.token })).body.logCount as number;
      await replay.linesUntil(runId, stored);
    }
    expect(strangerEvents.some((e) => (e as { id?: string }).id === httpJob.id)).toBe(true);
    expect(leaked(JSON.stringify(strangerEvents))).toEqual([]);
  });

  it("a stranger cannot send a job's stored secrets elsewhere: masked values in a rerun are refused, a plain rerun uses them", async () => {
    const shownRun = (await stack.request('GET', `/api/runs/${runIds[1]}`, { token: stranger.token })).body;
    const elsewhere = { ...shownRun.params, url: `${base}/elsewhere` };
    const refused = await stack.request('POST', `/api/runs/${shownRun.id}/rerun`, { token: stranger.token, body: { params: elsewhere } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details).toEqual([
      { path: '/params/headers/Authorization', message: expect.stringContaining("only the job's owner or an admin") },
    ]);
    const refusedNew = await stack.request('POST', `/api/jobs/${httpJob.id}/runs`, { token: stranger.token, body: { params: elsewhere } });
    expect(refusedNew.status).toBe(422);
    expect(seen.some((s) => s.path === '/elsewhere')).toBe(false);

    const plain = await stack.request('POST', `/api/runs/${shownRun.id}/rerun`, { token: stranger.token, body: {} });
    expect(plain.status).toBe(201);
    expect((await finalRun(plain.body.id, stranger.token)).status).toBe('succeeded');
    expect(seen.filter((s) => s.path === '/ping').at(-1)?.authorization).toBe(`Bearer ${HEADER_TOKEN}`);
  });

  it('the owner edits a job without resending its secrets and keeps them; a new value replaces one', async () => {
    const asOwner = (await stack.request('GET', `/api/jobs/${httpJob.id}`, { token: owner.token })).body;
    // The owner sees webhook URLs in full, secrets still masked.
    expect(asOwner.notifications[0].url).toBe(`${base}/hook?token=${WEBHOOK_URL_TOKEN}`);
    expect(asOwner.params.headers.Authorization).toBe(`****${HEADER_TOKEN.slice(-4)}`);

    const kept = await stack.request('PATCH', `/api/jobs/${httpJob.id}`, {
      token: owner.token,
      body: { params: { ...asOwner.params, url: `${base}/ping2` }, notifications: asOwner.notifications },
    });
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(kept.body.params.headers).toEqual(asOwner.params.headers);
    expect(kept.body.notifications).toEqual(asOwner.notifications);
    await runOf(httpJob.id, owner);
    expect(seen.filter((s) => s.path === '/ping2').at(-1)?.authorization).toBe(`Bearer ${HEADER_TOKEN}`);

    // A masked value that is not what is stored is refused rather than stored as a secret.
    const forged = await stack.request('PATCH', `/api/jobs/${httpJob.id}`, {
      token: owner.token,
      body: { params: { url: `${base}/ping2`, headers: { Authorization: '****abcd' } } },
    });
    expect(forged.status).toBe(422);
    expect(forged.body.error.details).toEqual([{ path: '/params/headers/Authorization', message: expect.stringContaining('masked value') }]);

    const replaced = await stack.request('PATCH', `/api/jobs/${httpJob.id}`, {
      token: owner.token,
      body: { params: { url: `${base}/ping3`, headers: { Authorization: 'Bearer a-brand-new-token-9999' } } },
    });
    expect(replaced.body.params.headers.Authorization).toBe('****9999');
    await runOf(httpJob.id, owner);
    expect(seen.filter((s) => s.path === '/ping3').at(-1)?.authorization).toBe('Bearer a-brand-new-token-9999');

    // The URL's credentials are kept when its masked form is sent back with another path.
    const shownCheck = (await stack.request('GET', `/api/jobs/${checkJob.id}`, { token: owner.token })).body;
    const moved = await stack.request('PATCH', `/api/jobs/${checkJob.id}`, {
      token: owner.token,
      body: { params: { url: shownCheck.params.url.replace('/data.csv', '/data.csv?v=2') } },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await runOf(checkJob.id, owner);
    expect(seen.filter((s) => s.path === '/data.csv?v=2').at(-1)?.authorization).toBe(`Basic ${Buffer.from(`reader:${URL_PASSWORD}`).toString('base64')}`);
  });

  it('no plaintext secret is stored in PostgreSQL', async () => {
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      const rows = await client.query<{ text: string }>(
        `select params::text || notifications::text as text from jobs
         union all select params::text || coalesce(result::text, '') || coalesce(error_message, '') from runs
         union all select text from run_logs
         union all select snapshot::text from notification_deliveries`,
      );
      expect(rows.rows.length).toBeGreaterThan(10);
      expect(leaked(rows.rows.map((r) => r.text).join('\n'))).toEqual([]);
      const sealed = await client.query<{ header: string }>(`select params->'headers'->>'Authorization' as header from jobs where id = $1`, [httpJob.id]);
      expect(sealed.rows[0]!.header).toMatch(/^jfenc:1:[0-9a-f]{8}:/);
    } finally {
      await client.end();
    }
  });
});

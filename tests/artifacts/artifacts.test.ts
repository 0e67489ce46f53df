import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunExportLine, type ArtifactAddedEvent, type ArtifactListDto, type RunDto } from '@jobflow/shared';
import { redisKeys } from '@jobflow/core/platform';
import { ArtifactRefusedError, createArtifacts, type ArtifactsOptions } from '@jobflow/core/artifacts';
import { startS3Server } from '../support/s3-server';
import { errorOf, startStack, type Stack } from '../support/stack';
import { subscribe } from '../support/live';
import { waitFor } from '../support/wait';

type Store = 'postgres' | 's3';

describe.each(['postgres', 's3'] as Store[])('artifacts stored in %s', (store) => {
  let stack: Stack;
  let s3: Awaited<ReturnType<typeof startS3Server>> | null = null;

  beforeAll(async () => {
    if (store === 's3') s3 = await startS3Server();
    // Workers are added by the tests that run jobs: the others claim runs themselves.
    stack = await startStack({ env: s3?.env ?? {}, workers: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await s3?.stop();
  });

  /**
   * A run claimed by this test as a worker would (its job has no worker to
   * take it, and the test beats as its worker), so the test attaches files
   * itself, in this process.
   */
  async function runningRun(): Promise<string> {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 30 } });
    const run = await stack.startRun(job.id);
    await stack.app.deps.redis.set(redisKeys(stack.redisPrefix).worker('test'), String(Date.now()), 'PX', 600_000);
    const claimed = await stack.app.deps.runs.claim({ runId: run.id, attempt: 1, workerId: 'test', queueJobId: 'test' });
    expect(claimed.kind).toBe('claimed');
    return run.id;
  }

  /** Runs `fn` with a worker taking runs, then stops it (the other tests claim runs themselves). */
  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await stack.addWorker();
    try {
      return await fn();
    } finally {
      await worker.close();
      stack.workers.splice(stack.workers.indexOf(worker), 1);
    }
  }

  const download = (runId: string, name: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.baseUrl}/api/runs/${runId}/artifacts/${encodeURIComponent(name)}`, {
      headers: { authorization: `Bearer ${stack.admin.token}`, ...headers },
    });

  it('attaches the files a shell script leaves in JOBFLOW_ARTIFACTS_DIR, announces each, and serves them as downloads', async () => {
    const user = await stack.createUser();
    const socket = stack.connect(user.token);
    const added: ArtifactAddedEvent[] = [];
    socket.on('artifact:added', (event) => added.push(event));
    const job = await stack.createJob({
      type: 'shell',
      params: {
        script: [
          'sleep 1',
          'printf "region,total\\nnorth,10\\nsouth,20\\n" > "$JOBFLOW_ARTIFACTS_DIR/report.csv"',
          'printf "<h1>Report</h1>" > "$JOBFLOW_ARTIFACTS_DIR/report.html"',
          'printf x > "$JOBFLOW_ARTIFACTS_DIR/$(printf "bad\\001name")"',
          'echo done',
        ].join('\n'),
      },
    });
    const run = await stack.startRun(job.id);
    expect((await subscribe(socket, { topic: 'run', runId: run.id })).ok).toBe(true);
    await withWorker(() => waitFor(async () => ['succeeded', 'failed'].includes((await stack.getRun(run.id)).status), 'the run to end'));
    expect((await stack.getRun(run.id)).status).toBe('succeeded');

    const list = await stack.request<ArtifactListDto>('GET', `/api/runs/${run.id}/artifacts`, { token: user.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((a) => [a.name, a.size, a.contentType])).toEqual([
      ['report.csv', 31, 'text/csv'],
      ['report.html', 15, 'text/html'],
    ]);
    await waitFor(() => added.length === 2, 'two artifact:added events');
    expect(added.map((e) => [e.runId, e.artifact.name])).toEqual([
      [run.id, 'report.csv'],
      [run.id, 'report.html'],
    ]);
    // The file whose name holds a control character is refused in the log, and stored nowhere.
    const log = await stack.request<string>('GET', `/api/runs/${run.id}/logs.txt`, { token: user.token });
    expect(log.body).toMatch(/artifact "bad.name" not attached: an artifact name cannot contain control characters/);
    expect(log.body).toMatch(/attached artifact "report.csv" \(31 bytes\)/);

    const csv = await download(run.id, 'report.csv');
    expect(csv.status).toBe(200);
    expect(await csv.text()).toBe('region,total\nnorth,10\nsouth,20\n');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv\b/);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="report.csv"; filename*=UTF-8''report.csv`);
    expect(csv.headers.get('x-content-type-options')).toBe('nosniff');
    expect(csv.headers.get('accept-ranges')).toBe('bytes');
    // An HTML artifact is a download, never a page of this origin.
    const html = await download(run.id, 'report.html');
    expect(html.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
    expect(html.headers.get('content-disposition')).toMatch(/^attachment;/);
    await html.text();
  });

  it('answers byte ranges with 206 and an unsatisfiable one with 416', async () => {
    const runId = await runningRun();
    const body = 'abcdefghijklmnopqrstuvwxyz';
    await stack.app.deps.artifacts.attach({ runId, attempt: 1, name: 'letters.txt', body });
    const middle = await download(runId, 'letters.txt', { range: 'bytes=2-5' });
    expect(middle.status).toBe(206);
    expect(middle.headers.get('content-range')).toBe('bytes 2-5/26');
    expect(await middle.text()).toBe('cdef');
    const open = await download(runId, 'letters.txt', { range: 'bytes=20-' });
    expect([open.status, await open.text()]).toEqual([206, 'uvwxyz']);
    const suffix = await download(runId, 'letters.txt', { range: 'bytes=-3' });
    expect([suffix.status, suffix.headers.get('content-range'), await suffix.text()]).toEqual([206, 'bytes 23-25/26', 'xyz']);
    const past = await download(runId, 'letters.txt', { range: 'bytes=26-30' });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */26');
    expect(((await past.json()) as { error: { code: string } }).error.code).toBe('range_not_satisfiable');
    // Several ranges: the whole file (allowed, and what most servers do).
    const several = await download(runId, 'letters.txt', { range: 'bytes=0-1,4-5' });
    expect([several.status, await several.text()]).toEqual([200, body]);
    // Past the compression threshold, and asked by a client that accepts gzip: the stored bytes, counted as stored.
    const text = 'compressible text '.repeat(500);
    await stack.app.deps.artifacts.attach({ runId, attempt: 1, name: 'long.txt', body: text });
    const long = await download(runId, 'long.txt', { range: 'bytes=0-2047', 'accept-encoding': 'gzip, br' });
    expect([long.status, long.headers.get('content-encoding'), long.headers.get('content-length')]).toEqual([206, null, '2048']);
    expect(await long.text()).toBe(text.slice(0, 2048));
    const whole = await download(runId, 'long.txt', { 'accept-encoding': 'gzip, br' });
    expect([whole.headers.get('content-encoding'), whole.headers.get('content-length')]).toEqual([null, String(text.length)]);
    expect(await whole.text()).toBe(text);
    const missing = await stack.request('GET', `/api/runs/${runId}/artifacts/nothing.txt`, { token: stack.admin.token });
    expect([missing.status, errorOf(missing).code]).toEqual([404, 'not_found']);
    const unauthenticated = await fetch(`${stack.baseUrl}/api/runs/${runId}/artifacts/letters.txt`);
    expect(unauthenticated.status).toBe(401);
    await unauthenticated.text();
  });

  it('refuses names that could leave a folder or hold control characters, a taken name, and an attempt that is over; nothing is stored', async () => {
    const runId = await runningRun();
    const filesBefore = s3 ? s3.objectFiles().length : 0;
    for (const name of ['..', '.', 'a/b', '../escape', 'a\\b', 'tab\there', 'nul\u0000', 'line\nbreak', '', ' padded']) {
      const refused = await stack.app.deps.artifacts.attach({ runId, attempt: 1, name, body: 'x' }).catch((e: unknown) => e);
      expect(refused, JSON.stringify(name)).toBeInstanceOf(ArtifactRefusedError);
      expect((refused as ArtifactRefusedError).reason).toBe('bad_name');
    }
    await stack.app.deps.artifacts.attach({ runId, attempt: 1, name: 'once.txt', body: 'first' });
    const taken = await stack.app.deps.artifacts.attach({ runId, attempt: 1, name: 'once.txt', body: 'second' }).catch((e: unknown) => e);
    expect((taken as ArtifactRefusedError).reason).toBe('name_taken');
    const stale = await stack.app.deps.artifacts.attach({ runId, attempt: 2, name: 'stale.txt', body: 'x' }).catch((e: unknown) => e);
    expect((stale as ArtifactRefusedError).reason).toBe('not_running');
    const list = await stack.request<ArtifactListDto>('GET', `/api/runs/${runId}/artifacts`, { token: stack.admin.token });
    expect(list.body.items.map((a) => [a.name, a.size])).toEqual([['once.txt', 5]]);
    if (s3) expect(s3.objectFiles().length).toBe(filesBefore + 1);
    // A name that could not be stored cannot be asked for either.
    const escape = await stack.request('GET', `/api/runs/${runId}/artifacts/..%2F..%2Fetc`, { token: stack.admin.token });
    expect(escape.status).toBe(404);
  });

  it('stops reading at ARTIFACT_MAX_BYTES for a file and ARTIFACT_MAX_RUN_BYTES for a run, storing nothing of the refused file', async () => {
    const runId = await runningRun();
    const options: ArtifactsOptions = { ...stack.app.deps.config.artifacts, maxBytes: 10, maxRunBytes: 15 };
    const small = createArtifacts({ db: stack.app.deps.db, live: stack.app.deps.live, options });
    try {
      const filesBefore = s3 ? s3.objectFiles().length : 0;
      let pulled = 0;
      async function* endless() {
        for (;;) {
          pulled++;
          yield Buffer.from('0123456');
        }
      }
      const tooBig = await small.attach({ runId, attempt: 1, name: 'big.bin', body: endless() }).catch((e: unknown) => e);
      expect((tooBig as ArtifactRefusedError).reason).toBe('too_large');
      expect((tooBig as Error).message).toMatch(/ARTIFACT_MAX_BYTES/);
      expect(pulled).toBeLessThan(5);
      await small.attach({ runId, attempt: 1, name: 'a.txt', body: '0123456789' });
      const overRun = await small.attach({ runId, attempt: 1, name: 'b.txt', body: '0123456789' }).catch((e: unknown) => e);
      expect((overRun as Error).message).toMatch(/ARTIFACT_MAX_RUN_BYTES/);
      await small.attach({ runId, attempt: 1, name: 'c.txt', body: '01234' });
      expect((await small.list(runId)).map((a) => a.name)).toEqual(['a.txt', 'c.txt']);
      if (s3) expect(s3.objectFiles().length).toBe(filesBefore + 2);
    } finally {
      await small.close();
    }
  });

  it('exports a run as NDJSON: the run, every line in order, then the artifact list', async () => {
    const job = await stack.createJob({
      type: 'shell',
      params: { script: 'for i in 1 2 3; do echo "line $i"; done; echo oops >&2; echo data > "$JOBFLOW_ARTIFACTS_DIR/out.txt"' },
    });
    const run = await stack.startRun(job.id);
    await withWorker(() => waitFor(async () => (await stack.getRun(run.id)).status === 'succeeded', 'the run to succeed'));
    const res = await fetch(`${stack.baseUrl}/api/runs/${run.id}/export`, { headers: { authorization: `Bearer ${stack.admin.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await res.text())
      .trimEnd()
      .split('\n')
      .map((l) => RunExportLine.parse(JSON.parse(l)));
    expect(lines[0]).toMatchObject({ kind: 'run', run: { id: run.id, status: 'succeeded' } });
    const logs = lines.filter((l) => l.kind === 'log').map((l) => l.line);
    expect(logs.map((l) => l.seq)).toEqual(logs.map((_, i) => i + 1));
    expect(logs.slice(0, 4).map((l) => [l.stream, l.text])).toEqual([
      ['stdout', 'line 1'],
      ['stdout', 'line 2'],
      ['stdout', 'line 3'],
      ['stderr', 'oops'],
    ]);
    expect(logs.length).toBe((lines[0] as { run: RunDto }).run.logCount);
    expect(lines.at(-1)).toMatchObject({ kind: 'artifacts', items: [{ name: 'out.txt', size: 5, contentType: 'text/plain' }] });
    const missing = await fetch(`${stack.baseUrl}/api/runs/00000000-0000-4000-8000-000000000000/export`, {
      headers: { authorization: `Bearer ${stack.admin.token}` },
    });
    expect(missing.status).toBe(404);
    await missing.text();
  });

  it('deletes the content of artifacts with their runs, whatever deletes the runs', async () => {
    const runId = await runningRun();
    await stack.app.deps.artifacts.attach({ runId, attempt: 1, name: 'gone.txt', body: 'bye' });
    const filesBefore = s3 ? s3.objectFiles().length : 0;
    await stack.sql('delete from runs where id = $1', [runId]);
    expect(await stack.app.deps.artifacts.list(runId)).toEqual([]);
    const chunks = await stack.sql<{ count: number }>('select count(*)::int as count from artifact_chunks where run_id = $1', [runId]);
    expect(chunks[0]!.count).toBe(0);
    // The bucket object was queued by the delete, and leaves the bucket on the next removal.
    expect(await stack.app.deps.artifacts.removeDeletedObjects()).toEqual({ removed: s3 ? 1 : 0, failed: 0 });
    if (s3) expect(s3.objectFiles().length).toBe(filesBefore - 1);
    const queued = await stack.sql<{ count: number }>('select count(*)::int as count from artifact_object_deletions');
    expect(queued[0]!.count).toBe(0);
  });
});

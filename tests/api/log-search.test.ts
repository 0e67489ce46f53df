import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDto, JobStorageDto, LogHitDto, Page } from '@jobflow/shared';
import { errorOf, startStack, type Stack } from '../support/stack';

let stack: Stack;
let jobA: JobDto;
let jobB: JobDto;
beforeAll(async () => {
  stack = await startStack({ workers: 0 });
  jobA = await stack.createJob({ type: 'sleep', params: { seconds: 1 } });
  jobB = await stack.createJob({ type: 'sleep', params: { seconds: 1 } });
});
afterAll(() => stack.stop());

/** A word no other test writes. */
const word = () => `w${randomBytes(5).toString('hex')}`;

/** Stores a finished (or `status`) run of `jobId` with these lines, written one second apart ending `minutesAgo` minutes ago. */
async function seedRun(jobId: string, texts: string[], o: { status?: string; minutesAgo?: number } = {}): Promise<string> {
  const [run] = await stack.sql<{ id: string }>(
    `insert into runs (job_id, status, params, max_attempts, started_at, finished_at, trigger_kind, log_count, result)
     values ($1, $2, '{"secret":"x"}', 1, now(), case when $2 in ('queued', 'running') then null else now() end, 'manual', $3, '{"rows": 1}') returning id`,
    [jobId, o.status ?? 'succeeded', texts.length],
  );
  await stack.sql(
    `insert into run_logs (run_id, seq, ts, stream, text)
     select $1, t.i, now() - $3 * interval '1 minute' - ($4 - t.i) * interval '1 second', 'stdout', t.text
     from unnest($2::text[]) with ordinality as t(text, i)`,
    [run!.id, texts, o.minutesAgo ?? 0, texts.length],
  );
  return run!.id;
}

const search = (query: string, token = stack.admin.token) => stack.request<Page<LogHitDto>>('GET', `/api/logs/search?${query}`, { token });
const hitsFor = async (query: string) => {
  const res = await search(query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items;
};

describe('GET /api/logs/search', () => {
  it('finds substrings case-insensitively across runs, newest first, marking each match, with the run as a summary', async () => {
    const w = word();
    const older = await seedRun(jobA.id, ['nothing here', `prefix${w.toUpperCase()}suffix and ${w} again`], { minutesAgo: 10 });
    const newer = await seedRun(jobB.id, [`${w}`, 'unrelated']);
    const items = await hitsFor(`q=${w}`);
    expect(items.map((h) => [h.run.id, h.seq])).toEqual([
      [newer, 1],
      [older, 2],
    ]);
    const hit = items[1]!;
    expect(hit.text).toBe(`prefix${w.toUpperCase()}suffix and ${w} again`);
    expect(hit.match).toEqual([
      [6, 6 + w.length],
      [6 + w.length + 11, 6 + w.length + 11 + w.length],
    ]);
    expect(hit.match.map(([s, e]) => hit.text.slice(s, e).toLowerCase())).toEqual([w, w]);
    expect(hit.run).toMatchObject({ id: older, jobId: jobA.id, jobName: jobA.name, status: 'succeeded', logCount: 2 });
    expect(hit.run).not.toHaveProperty('params');
    expect(hit.run).not.toHaveProperty('result');
    expect(hit.ts).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('takes %, _ and \\ literally', async () => {
    const w = word();
    await seedRun(jobA.id, [`${w} 100% done`, `${w} 1000 done`, `${w} file_name`, `${w} fileXname`, `${w} back\\slash`, `${w} backslash`]);
    const texts = async (q: string) => (await hitsFor(`q=${encodeURIComponent(`${w} ${q}`)}`)).map((h) => h.text);
    expect(await texts('100%')).toEqual([`${w} 100% done`]);
    expect(await texts('file_n')).toEqual([`${w} file_name`]);
    expect(await texts('back\\s')).toEqual([`${w} back\\slash`]);
    expect(await hitsFor(`q=${encodeURIComponent('%%%')}`)).toEqual([]);
  });

  it('narrows by job, run status and line time', async () => {
    const w = word();
    const a = await seedRun(jobA.id, [`${w} a`], { minutesAgo: 120 });
    const b = await seedRun(jobB.id, [`${w} b`], { status: 'failed' });
    const c = await seedRun(jobB.id, [`${w} c`], { status: 'running' });
    const ids = async (extra: string) => (await hitsFor(`q=${w}&${extra}`)).map((h) => h.run.id).sort();
    expect(await ids(`jobId=${jobA.id}`)).toEqual([a]);
    expect(await ids('status=failed,running')).toEqual([b, c].sort());
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    expect(await ids(`since=${hourAgo}`)).toEqual([b, c].sort());
    expect(await ids(`until=${hourAgo}`)).toEqual([a]);
  });

  it('pages by keyset: every hit once, in order, until nextCursor is null', async () => {
    const w = word();
    const run1 = await seedRun(
      jobA.id,
      Array.from({ length: 4 }, (_, i) => `${w} ${i}`),
      { minutesAgo: 5 },
    );
    const run2 = await seedRun(
      jobB.id,
      Array.from({ length: 3 }, (_, i) => `${w} ${i}`),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await search(`q=${w}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((h) => `${h.run.id}:${h.seq}`));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...[3, 2, 1].map((s) => `${run2}:${s}`), ...[4, 3, 2, 1].map((s) => `${run1}:${s}`)]);
  });

  it('is for signed-in users: every signed-in user reads every run, as GET /api/runs/:id allows', async () => {
    const w = word();
    await seedRun(jobA.id, [`${w} visible`]);
    expect((await stack.request('GET', `/api/logs/search?q=${w}`)).status).toBe(401);
    const user = await stack.createUser();
    expect((await search(`q=${w}`, user.token)).body.items.map((h) => h.text)).toEqual([`${w} visible`]);
  });

  it.each([
    ['', 'q'],
    ['q=ab', 'q'],
    [`q=${'x'.repeat(201)}`, 'q'],
    ['q=abc&limit=0', 'limit'],
    ['q=abc&limit=201', 'limit'],
    ['q=abc&status=done', 'status'],
    ['q=abc&jobId=nope', 'jobId'],
    ['q=abc&since=yesterday', 'since'],
    ['q=abc&cursor=bm9wZQ', 'cursor'],
    ['q=abc&q=def', 'q'],
  ])('answers 400 naming the parameter for %s', async (query, parameter) => {
    const res = await search(query);
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('bad_request');
    expect(errorOf(res).message).toContain(`"${parameter}"`);
  });
});

describe('retention settings and storage of a job', () => {
  it('keepRuns and keepDays are stored, changed, cleared and validated', async () => {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 1 }, keepRuns: 5 });
    expect(job).toMatchObject({ keepRuns: 5, keepDays: null });
    const patched = await stack.request<JobDto>('PATCH', `/api/jobs/${job.id}`, { token: stack.admin.token, body: { keepDays: 14, keepRuns: null } });
    expect(patched.body).toMatchObject({ keepRuns: null, keepDays: 14 });
    for (const body of [{ keepRuns: 0 }, { keepDays: -1 }, { keepDays: 1.5 }, { keepRuns: '3' }]) {
      const res = await stack.request('PATCH', `/api/jobs/${job.id}`, { token: stack.admin.token, body });
      expect(res.status).toBe(422);
      expect(errorOf(res).details[0]!.path).toBe(`/${Object.keys(body)[0]}`);
    }
    expect((await stack.request<JobDto>('GET', `/api/jobs/${job.id}`, { token: stack.admin.token })).body).toMatchObject({ keepRuns: null, keepDays: 14 });
  });

  it('GET /api/jobs/:id/storage counts the job’s runs, lines and bytes', async () => {
    const job = await stack.createJob({ type: 'sleep', params: { seconds: 1 } });
    const empty = await stack.request<JobStorageDto>('GET', `/api/jobs/${job.id}/storage`, { token: stack.admin.token });
    expect(empty.body).toEqual({ runs: 0, lines: 0, bytes: 0 });
    await seedRun(job.id, ['abc', 'déjà']);
    await seedRun(job.id, ['x']);
    const user = await stack.createUser();
    const res = await stack.request<JobStorageDto>('GET', `/api/jobs/${job.id}/storage`, { token: user.token });
    expect(res.body).toEqual({ runs: 2, lines: 3, bytes: 3 + 6 + 1 });
    expect((await stack.request('GET', `/api/jobs/${job.id}/storage`)).status).toBe(401);
    expect((await stack.request('GET', `/api/jobs/00000000-0000-4000-8000-000000000000/storage`, { token: user.token })).status).toBe(404);
  });
});

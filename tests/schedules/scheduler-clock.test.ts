import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fireStore } from '@jobflow/core/schedules';
import { startStack, type Stack } from '../support/stack';
import { DISABLED_SCHEDULER, allFires, eventually, fakeScheduler, setScheduleSince, type FakeScheduler } from './fake-scheduler';

// The stack's own worker executes runs but schedules nothing: the schedulers
// here run on a clock the test moves.
let stack: Stack;
let clock: FakeScheduler;
beforeAll(async () => {
  stack = await startStack({ worker: DISABLED_SCHEDULER });
  clock = await fakeScheduler(stack, { graceMs: 60 * 60_000 });
});
afterAll(async () => {
  await clock?.close();
  await stack?.stop();
});

async function createJob(body: Record<string, unknown>): Promise<{ id: string; [k: string]: unknown }> {
  const res = await stack.request('POST', '/api/jobs', { token: stack.admin.token, body: { type: 'sleep', params: { seconds: 0 }, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const pause = async (jobId: string) =>
  expect((await stack.request('POST', `/api/jobs/${jobId}/schedule/pause`, { token: stack.admin.token })).status).toBe(200);

/** Moves the fake clock from `from` to `to` in `stepMs` steps, one scheduler pass at each. */
async function walk(from: string, to: string, stepMs: number) {
  for (let t = Date.parse(from); t <= Date.parse(to); t += stepMs) await clock.at(t);
}

const localDate = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
const localTime = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(new Date(iso));

describe('daylight-saving changes (America/New_York, fake clock)', () => {
  const tz = 'America/New_York';

  it('spring forward (2026-03-08): a 02:30 daily job runs once that day, right after the gap', async () => {
    const job = await createJob({ name: 'dst-spring', schedule: { cron: '30 2 * * *', timezone: tz } });
    await setScheduleSince(clock.db, job.id, '2026-03-07T00:00:00Z');
    await walk('2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z', 15 * 60_000);
    await pause(job.id);

    const fires = await allFires(stack, job.id);
    expect(fires.map((f) => [localDate(f.dueAt, tz), f.outcome])).toEqual([
      ['2026-03-07', 'started'],
      ['2026-03-08', 'started'],
      ['2026-03-09', 'started'],
    ]);
    expect(fires.map((f) => localTime(f.dueAt, tz))).toEqual(['02:30 EST', '03:00 EDT', '02:30 EDT']);
    expect(new Set(fires.map((f) => f.runId)).size).toBe(3);
  });

  it('fall back (2026-11-01): a 02:30 job and a 01:30 job (a time that occurs twice) each run once that day', async () => {
    const at0230 = await createJob({ name: 'dst-fall-0230', schedule: { cron: '30 2 * * *', timezone: tz } });
    const at0130 = await createJob({ name: 'dst-fall-0130', schedule: { cron: '30 1 * * *', timezone: tz } });
    for (const j of [at0230, at0130]) await setScheduleSince(clock.db, j.id, '2026-10-31T00:00:00Z');
    await walk('2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z', 15 * 60_000);
    await pause(at0230.id);
    await pause(at0130.id);

    const f0230 = await allFires(stack, at0230.id);
    expect(f0230.map((f) => [localDate(f.dueAt, tz), localTime(f.dueAt, tz), f.outcome])).toEqual([
      ['2026-10-31', '02:30 EDT', 'started'],
      ['2026-11-01', '02:30 EST', 'started'],
      ['2026-11-02', '02:30 EST', 'started'],
    ]);
    const f0130 = await allFires(stack, at0130.id);
    expect(f0130.map((f) => [localDate(f.dueAt, tz), localTime(f.dueAt, tz), f.outcome])).toEqual([
      ['2026-10-31', '01:30 EDT', 'started'],
      ['2026-11-01', '01:30 EDT', 'started'],
      ['2026-11-02', '01:30 EST', 'started'],
    ]);
  });

  it('the next due times are shown in the job zone, with the offset of each date', async () => {
    const job = await createJob({ name: 'dst-next', schedule: { cron: '30 2 * * *', timezone: tz } });
    const res = await stack.request('GET', `/api/jobs/${job.id}/schedule/next?count=5`, { token: stack.admin.token });
    expect(res.status).toBe(200);
    expect(res.body.timezone).toBe(tz);
    expect(res.body.items).toHaveLength(5);
    for (const item of res.body.items) {
      expect(item.local).toMatch(/T02:30:00-0[45]:00$/);
      expect(Date.parse(item.local)).toBe(Date.parse(item.at));
      expect(Date.parse(item.at)).toBeGreaterThan(Date.now());
    }
    await pause(job.id);
  });
});

describe('missed due times (fake clock)', () => {
  it('"skip" records each due time that passed while no scheduler ran as missed, then runs on time again', async () => {
    const job = await createJob({ name: 'missed-skip', schedule: { cron: '0 * * * *', timezone: 'UTC' }, schedulePolicy: { missed: 'skip' } });
    await setScheduleSince(clock.db, job.id, '2026-06-01T00:00:00Z');
    const strict = await fakeScheduler(stack, { graceMs: 60_000 });
    try {
      await strict.at('2026-06-01T05:10:00Z');
      await strict.at('2026-06-01T06:00:00.300Z');
    } finally {
      await strict.close();
    }
    await pause(job.id);
    const fires = await allFires(stack, job.id);
    expect(fires.map((f) => [f.dueAt, f.outcome, f.runId === null])).toEqual([
      ['2026-06-01T01:00:00.000Z', 'missed', true],
      ['2026-06-01T02:00:00.000Z', 'missed', true],
      ['2026-06-01T03:00:00.000Z', 'missed', true],
      ['2026-06-01T04:00:00.000Z', 'missed', true],
      ['2026-06-01T05:00:00.000Z', 'missed', true],
      ['2026-06-01T06:00:00.000Z', 'started', false],
    ]);
  });

  it('"run-once" runs the latest missed due time once (caught-up) and records the others as missed', async () => {
    const job = await createJob({ name: 'missed-once', schedule: { cron: '0 * * * *', timezone: 'UTC' }, schedulePolicy: { missed: 'run-once' } });
    await setScheduleSince(clock.db, job.id, '2026-06-01T00:00:00Z');
    const strict = await fakeScheduler(stack, { graceMs: 60_000 });
    try {
      await strict.at('2026-06-01T05:10:00Z');
      await strict.at('2026-06-01T06:00:00.300Z');
    } finally {
      await strict.close();
    }
    await pause(job.id);
    const fires = await allFires(stack, job.id);
    expect(fires.map((f) => [f.dueAt, f.outcome])).toEqual([
      ['2026-06-01T01:00:00.000Z', 'missed'],
      ['2026-06-01T02:00:00.000Z', 'missed'],
      ['2026-06-01T03:00:00.000Z', 'missed'],
      ['2026-06-01T04:00:00.000Z', 'missed'],
      ['2026-06-01T05:00:00.000Z', 'caught-up'],
      ['2026-06-01T06:00:00.000Z', 'started'],
    ]);
    const runs = await stack.request('GET', `/api/runs?jobId=${job.id}`, { token: stack.admin.token });
    expect(runs.body.items).toHaveLength(2);
    expect(runs.body.items.every((r: { trigger: { kind: string } }) => r.trigger.kind === 'schedule')).toBe(true);
    expect(new Set(runs.body.items.map((r: { id: string }) => r.id))).toEqual(new Set(fires.filter((f) => f.runId).map((f) => f.runId)));
  });
});

describe('overlapping runs (fake clock)', () => {
  const longRun = { type: 'sleep', params: { seconds: 600 } };
  const runsOf = async (jobId: string) =>
    (await stack.request('GET', `/api/runs?jobId=${jobId}`, { token: stack.admin.token })).body.items as {
      id: string;
      status: string;
      startedAt: string | null;
      finishedAt: string | null;
    }[];
  const runOf = async (runId: string) =>
    (await stack.request('GET', `/api/runs/${runId}`, { token: stack.admin.token })).body as {
      id: string;
      status: string;
      startedAt: string | null;
      finishedAt: string | null;
    };
  const cancel = (runId: string) => stack.request('POST', `/api/runs/${runId}/cancel`, { token: stack.admin.token });
  const until = (runId: string, status: string) => eventually(async () => (await runOf(runId)).status === status, `run ${runId} to be ${status}`);

  it('"skip" records a due time as skipped-overlap while the previous run still goes, "allow" starts another, "queue" starts one that waits', async () => {
    const schedule = { cron: '0 * * * *', timezone: 'UTC' };
    const skip = await createJob({ name: 'overlap-skip', ...longRun, schedule, schedulePolicy: { overlap: 'skip' } });
    const allow = await createJob({ name: 'overlap-allow', ...longRun, schedule, schedulePolicy: { overlap: 'allow' } });
    const queue = await createJob({ name: 'overlap-queue', ...longRun, schedule, schedulePolicy: { overlap: 'queue' } });
    expect(queue.maxConcurrentRuns).toBe(1);
    for (const j of [skip, allow, queue]) await setScheduleSince(clock.db, j.id, '2026-07-01T00:00:00Z');

    await clock.at('2026-07-01T01:00:00.100Z');
    const [skip1] = await runsOf(skip.id);
    const [queue1] = await runsOf(queue.id);
    await until(queue1!.id, 'running');
    await clock.at('2026-07-01T02:00:00.100Z');
    for (const j of [skip, allow, queue]) await pause(j.id);

    expect((await allFires(stack, skip.id)).map((f) => f.outcome)).toEqual(['started', 'skipped-overlap']);
    expect(await runsOf(skip.id)).toHaveLength(1);

    expect((await allFires(stack, allow.id)).map((f) => f.outcome)).toEqual(['started', 'started']);
    const allowRuns = await runsOf(allow.id);
    expect(allowRuns).toHaveLength(2);
    for (const r of allowRuns) await until(r.id, 'running');

    expect((await allFires(stack, queue.id)).map((f) => f.outcome)).toEqual(['started', 'started']);
    const queue2 = (await runsOf(queue.id)).find((r) => r.id !== queue1!.id)!;
    expect((await runOf(queue2.id)).status).toBe('queued');
    expect((await runOf(queue1!.id)).status).toBe('running');
    await cancel(queue1!.id);
    await until(queue2.id, 'running');
    const [first, second] = [await runOf(queue1!.id), await runOf(queue2.id)];
    expect(Date.parse(second.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first.finishedAt!));

    for (const r of [skip1!, ...allowRuns, queue2]) await cancel(r.id);
  });
});

describe('several schedulers at once', () => {
  it('two schedulers on their own connections, passing at the same instants, start exactly one run per due time', async () => {
    const job = await createJob({ name: 'race', schedule: { cron: '* * * * * *', timezone: 'UTC' } });
    await setScheduleSince(clock.db, job.id, '2026-08-01T00:00:00Z');
    const other = await fakeScheduler(stack, { graceMs: 60 * 60_000 });
    try {
      for (let t = Date.parse('2026-08-01T00:00:00.500Z'); t <= Date.parse('2026-08-01T00:00:40.500Z'); t += 1000) {
        await Promise.all([clock.at(t), other.at(t)]);
      }
    } finally {
      await other.close();
    }
    await pause(job.id);
    const fires = await allFires(stack, job.id);
    expect(fires).toHaveLength(40);
    expect(fires.map((f) => f.dueAt)).toEqual(Array.from({ length: 40 }, (_, i) => new Date(Date.parse('2026-08-01T00:00:01Z') + i * 1000).toISOString()));
    expect(fires.every((f) => f.outcome === 'started' && f.runId)).toBe(true);
    const runs = await stack.request('GET', `/api/runs?jobId=${job.id}&limit=200`, { token: stack.admin.token });
    expect(runs.body.items).toHaveLength(40);
    expect(new Set(runs.body.items.map((r: { id: string }) => r.id))).toEqual(new Set(fires.map((f) => f.runId)));
  });

  it('a scheduler restarted at a due time starts its run once, whether the old process got to it or not', async () => {
    const job = await createJob({ name: 'restart', schedule: { cron: '0 */5 * * * *', timezone: 'UTC' } });
    await setScheduleSince(clock.db, job.id, '2026-08-02T00:00:00Z');
    // The old process records 00:05 and dies; the new one comes up 20 s later (within the grace period).
    const old = await fakeScheduler(stack, { graceMs: 30_000 });
    await old.at('2026-08-02T00:05:00.010Z');
    await old.close();
    const restarted = await fakeScheduler(stack, { graceMs: 30_000 });
    await restarted.at('2026-08-02T00:05:20Z');
    // Down across the next due time: it comes up 20 s after 00:10 and still starts it.
    await restarted.at('2026-08-02T00:10:20Z');
    await restarted.close();
    await pause(job.id);
    const fires = await allFires(stack, job.id);
    expect(fires.map((f) => [f.dueAt, f.outcome])).toEqual([
      ['2026-08-02T00:05:00.000Z', 'started'],
      ['2026-08-02T00:10:00.000Z', 'started'],
    ]);
    expect((await stack.request('GET', `/api/runs?jobId=${job.id}`, { token: stack.admin.token })).body.items).toHaveLength(2);
  });

  it('a pass after a long outage works through the due times in batches, recording every one', async () => {
    const job = await createJob({ name: 'long-outage', schedule: { cron: '* * * * *', timezone: 'UTC' }, schedulePolicy: { missed: 'run-once' } });
    await setScheduleSince(clock.db, job.id, '2026-09-01T00:00:00Z');
    const strict = await fakeScheduler(stack, { graceMs: 60_000 });
    try {
      // 3 days of minutes: more than one batch.
      let next: number | null = 0;
      for (let i = 0; i < 10 && next !== null && next <= Date.parse('2026-09-04T00:00:30Z'); i++) next = await strict.at('2026-09-04T00:00:30Z');
    } finally {
      await strict.close();
    }
    await pause(job.id);
    const fires = await allFires(stack, job.id);
    expect(fires).toHaveLength(3 * 24 * 60);
    expect(fires.filter((f) => f.outcome === 'missed')).toHaveLength(3 * 24 * 60 - 2);
    expect(fires.at(-2)).toMatchObject({ dueAt: '2026-09-03T23:59:00.000Z', outcome: 'caught-up' });
    expect(fires.at(-1)).toMatchObject({ dueAt: '2026-09-04T00:00:00.000Z', outcome: 'started' });
  });

  it("prunes due times older than the kept days in bounded batches, never a job's latest one", async () => {
    const [a, b] = [await createJob({ name: 'prune a' }), await createJob({ name: 'prune b' })];
    const { db } = stack.app.deps;
    await db.sql(
      `insert into schedule_fires (job_id, due_at, outcome) values
         (?, now() - interval '40 days', 'missed'), (?, now() - interval '35 days', 'missed'), (?, now() - interval '1 day', 'missed'),
         (?, now() - interval '50 days', 'missed')`,
      [a.id, a.id, a.id, b.id],
    );
    // Earlier tests here left old due times of their own jobs: prune all, a bounded batch at a time.
    expect(await fireStore.prune(db.sql, 30, 1)).toBe(1);
    let passes = 0;
    while ((await fireStore.prune(db.sql, 30, 1000)) > 0) passes++;
    expect(passes).toBeGreaterThan(0);
    const left = await db.sql<{ job_id: string; age: number }>(
      `select job_id, extract(day from now() - due_at)::int as age from schedule_fires where job_id in (?, ?) order by job_id, due_at`,
      [a.id, b.id],
    );
    expect(left.map((r) => [r.job_id, r.age]).sort()).toEqual(
      [
        [a.id, 1],
        [b.id, 50],
      ].sort(),
    );
  });
});

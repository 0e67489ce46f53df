import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLease } from '@jobflow/core/db';
import { createLogger } from '@jobflow/core/platform';
import { createRetentionSweeper, DEFAULT_RETENTION_OPTIONS, type RetentionOptions } from '@jobflow/core/runs';
import { openEngine, type EngineUnderTest } from '../support/engine';

let engine: EngineUnderTest;
beforeAll(async () => {
  engine = await openEngine();
});
afterAll(() => engine.close());

const log = createLogger('retention-test', 'error');
let holders = 0;
const sweeperWith = (options: Partial<RetentionOptions> = {}) =>
  createRetentionSweeper({
    db: engine.core.db,
    lease: createLease(engine.core.db, `retention-test-${++holders}`, 'this-test', 60_000),
    log,
    options: { ...DEFAULT_RETENTION_OPTIONS, pauseMs: 0, restPerWork: 0, ...options },
  });

const jobWith = async (keep: { keepRuns?: number; keepDays?: number } = {}) => {
  const id = await engine.createJob();
  await engine.sql('update jobs set keep_runs = $2, keep_days = $3 where id = $1', [id, keep.keepRuns ?? null, keep.keepDays ?? null]);
  return id;
};

/** A run as a past of the store would have left it: `queuedDaysAgo` days ago, finished a day later unless active, with `lines` lines stored then. */
async function seedRun(jobId: string, o: { status: string; queuedDaysAgo: number; lines: number; storedDaysAgo?: number }): Promise<string> {
  const isActive = o.status === 'queued' || o.status === 'running';
  const [run] = await engine.sql<{ id: string }>(
    `insert into runs (job_id, status, params, max_attempts, queued_at, started_at, finished_at, trigger_kind, log_count)
     values ($1, $2, '{}', 1, now() - $3 * interval '1 day', now() - $3 * interval '1 day',
             case when $4 then null else now() - ($3 - 1) * interval '1 day' end, 'manual', $5) returning id`,
    [jobId, o.status, o.queuedDaysAgo, isActive, o.lines],
  );
  const storedDaysAgo = o.storedDaysAgo ?? Math.max(0, o.queuedDaysAgo - 1);
  await engine.sql(`select run_logs_ensure_partitions(now() - $1 * interval '1 day', 0)`, [storedDaysAgo]);
  await engine.sql(
    `insert into run_logs (run_id, seq, ts, stream, text, stored_at)
     select $1, s, now() - $3 * interval '1 day', 'stdout', 'line ' || s, now() - $3 * interval '1 day' from generate_series(1, $2::int) s`,
    [run!.id, o.lines, storedDaysAgo],
  );
  return run!.id;
}

/** The partition of `run_logs` that holds lines stored `daysAgo` days ago (weeks start on Monday, UTC). */
function partitionOf(daysAgo: number): string {
  const at = new Date(Date.now() - daysAgo * 86_400_000);
  at.setUTCDate(at.getUTCDate() - ((at.getUTCDay() + 6) % 7));
  return 'run_logs_w' + at.toISOString().slice(0, 10).replace(/-/g, '');
}

const linesOf = async (runId: string) => Number((await engine.sql<{ n: string }>('select count(*) as n from run_logs where run_id = $1', [runId]))[0]!.n);
const exists = async (runId: string) => (await engine.sql('select 1 from runs where id = $1', [runId])).length === 1;

describe('retention', () => {
  it('purges finished runs older than their job’s keepDays with their lines, never a queued or running one', async () => {
    const job = await jobWith({ keepDays: 7 });
    const old = await seedRun(job, { status: 'succeeded', queuedDaysAgo: 10, lines: 120 });
    const oldFailed = await seedRun(job, { status: 'failed', queuedDaysAgo: 12, lines: 5 });
    const recent = await seedRun(job, { status: 'succeeded', queuedDaysAgo: 2, lines: 30 });
    const stillRunning = await seedRun(job, { status: 'running', queuedDaysAgo: 20, lines: 40 });
    const stillQueued = await seedRun(job, { status: 'queued', queuedDaysAgo: 20, lines: 0 });
    const otherJob = await jobWith();
    const unlimited = await seedRun(otherJob, { status: 'succeeded', queuedDaysAgo: 400, lines: 10 });

    const result = await sweeperWith({ linesPerStatement: 50 }).sweep();

    expect(result.runs).toBe(2);
    for (const gone of [old, oldFailed]) {
      expect(await exists(gone)).toBe(false);
      expect(await linesOf(gone)).toBe(0);
    }
    expect(await linesOf(recent)).toBe(30);
    expect(await linesOf(stillRunning)).toBe(40);
    expect(await exists(stillQueued)).toBe(true);
    expect(await linesOf(unlimited)).toBe(10);
  });

  it('keeps the newest keepRuns runs of a job (an active one counts) and purges the finished ones beyond', async () => {
    const job = await jobWith({ keepRuns: 2 });
    const [r1, r2, r3, r4] = [
      await seedRun(job, { status: 'succeeded', queuedDaysAgo: 5, lines: 3 }),
      await seedRun(job, { status: 'cancelled', queuedDaysAgo: 4, lines: 3 }),
      await seedRun(job, { status: 'failed', queuedDaysAgo: 3, lines: 3 }),
      await seedRun(job, { status: 'succeeded', queuedDaysAgo: 2, lines: 3 }),
    ];
    const newest = await seedRun(job, { status: 'running', queuedDaysAgo: 1, lines: 3 });

    await sweeperWith().sweep();

    expect(await Promise.all([r1, r2, r3, r4, newest].map(exists))).toEqual([false, false, false, true, true]);
    expect(await linesOf(r3!)).toBe(0);
    expect(await linesOf(r4!)).toBe(3);
  });

  it('RUN_RETENTION_DAYS applies to every job; unset, nothing is purged', async () => {
    const job = await jobWith();
    const old = await seedRun(job, { status: 'succeeded', queuedDaysAgo: 45, lines: 7 });
    const young = await seedRun(job, { status: 'succeeded', queuedDaysAgo: 10, lines: 7 });
    expect((await sweeperWith({ retentionDays: null }).sweep()).runs).toBe(0);
    expect(await exists(old)).toBe(true);
    await sweeperWith({ retentionDays: 30 }).sweep();
    expect(await exists(old)).toBe(false);
    expect(await linesOf(old)).toBe(0);
    expect(await linesOf(young)).toBe(7);
  });

  it('drops a past week’s partition whole when every run with lines in it may go, and keeps one that holds a kept run', async () => {
    const [gonePart, keptPart] = [partitionOf(70), partitionOf(63)];
    const job = await jobWith();
    const old = await seedRun(job, { status: 'succeeded', queuedDaysAgo: 70, lines: 500, storedDaysAgo: 70 });
    const keptJob = await jobWith();
    const running = await seedRun(keptJob, { status: 'running', queuedDaysAgo: 63, lines: 20, storedDaysAgo: 63 });
    const partitionsBefore = (await engine.sql<{ name: string }>(`select relname as name from pg_class where relname = any($1)`, [[gonePart, keptPart]])).map(
      (r) => r.name,
    );
    expect(partitionsBefore.sort()).toEqual([gonePart, keptPart].sort());

    const result = await sweeperWith({ retentionDays: 30 }).sweep();

    expect(result.partitions).toContain(gonePart);
    expect(result.partitions).not.toContain(keptPart);
    expect(result.lines, 'the dropped week’s lines were not deleted one by one').toBeLessThan(500);
    expect(await exists(old)).toBe(false);
    expect(await engine.sql(`select 1 from pg_class where relname = $1`, [gonePart])).toEqual([]);
    expect(await linesOf(running)).toBe(20);
    expect(await engine.sql(`select 1 from pg_class where relname = $1`, [keptPart])).toHaveLength(1);
  });

  it('keeps partitions made ahead, so lines of the coming weeks have somewhere to go', async () => {
    await sweeperWith({ weeksAhead: 10 }).sweep();
    const [row] = await engine.sql<{ ahead: string }>(
      `select max(to_date(substr(relname, 11), 'YYYYMMDD')) - current_date as ahead from pg_class where relname like 'run_logs\\_w%' and relkind = 'r'`,
    );
    expect(Number(row!.ahead)).toBeGreaterThanOrEqual(63);
  });

  it('while a run streams lines during a purge, every one of its lines is stored, in order', async () => {
    const purgedJob = await jobWith({ keepDays: 1 });
    const doomed = [];
    for (let i = 0; i < 10; i++) doomed.push(await seedRun(purgedJob, { status: 'succeeded', queuedDaysAgo: 5, lines: 1500, storedDaysAgo: 0 }));
    const liveJob = await jobWith({ keepDays: 1 });
    const started = await engine.runs.start({ jobId: liveJob, trigger: { kind: 'manual', userId: null } });
    await started!.enqueued;
    const runId = started!.run.id;
    expect((await engine.runs.claim({ runId, attempt: 1, workerId: 'retention-test', queueJobId: `${runId}.1` })).kind).toBe('claimed');

    const sweep = sweeperWith({ linesPerStatement: 500, runsPerBatch: 5 }).sweep();
    for (let batch = 0; batch < 50; batch++) {
      const lines = Array.from({ length: 40 }, (_, i) => ({ ts: new Date().toISOString(), stream: 'stdout' as const, text: `live ${batch * 40 + i + 1}` }));
      expect(await engine.runs.appendLines({ runId, attempt: 1, lines })).toHaveLength(40);
    }
    const result = await sweep;

    expect(result.runs).toBe(10);
    expect(result.lines).toBe(15_000);
    const stored = await engine.runs.lines(runId, 0, 5000);
    expect(stored.map((l) => l.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(stored.map((l) => l.text)).toEqual(Array.from({ length: 2000 }, (_, i) => `live ${i + 1}`));
    expect(await exists(runId)).toBe(true);
  });

  it('one process at a time sweeps: the lease is held until released or lapsed', async () => {
    const a = createLease(engine.core.db, 'lease-test', 'process-a', 60_000);
    const b = createLease(engine.core.db, 'lease-test', 'process-b', 60_000);
    expect(await a.take()).toBe(true);
    expect(await b.take()).toBe(false);
    expect(await a.take()).toBe(true);
    await a.release();
    expect(await b.take()).toBe(true);
    expect(await a.take()).toBe(false);
    await engine.sql(`update platform_leases set expires_at = now() - interval '1 second' where name = 'lease-test'`);
    expect(await a.take()).toBe(true);
  });
});

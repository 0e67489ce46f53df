import { describe, expect, test } from 'vitest';
import { makeJob, makeRun } from '../test-fixtures';
import { jobs, upsertJob } from './jobs.store';
import { applyStoreEvents, onStoreEvents, type StoreEvent } from './live';
import { runs, upsertRun } from './runs.store';

describe('runs store', () => {
  test('keeps the snapshot with the highest version, whatever order they arrive in', () => {
    upsertRun(makeRun({ id: 'r-order', version: 3, status: 'running' }));
    expect(upsertRun(makeRun({ id: 'r-order', version: 2, status: 'queued' }))).toBe(false);
    expect(runs['r-order']?.status).toBe('running');
    expect(upsertRun(makeRun({ id: 'r-order', version: 4, status: 'succeeded' }))).toBe(true);
    expect(runs['r-order']?.status).toBe('succeeded');
  });

  test('a newer snapshot replaces nested objects instead of merging them', () => {
    upsertRun(makeRun({ id: 'r-nested', version: 1, result: { a: 1, b: 2 }, error: { code: 'timeout', message: 'x' } }));
    upsertRun(makeRun({ id: 'r-nested', version: 2, result: { c: 3 }, error: null }));
    expect(runs['r-nested']?.result).toEqual({ c: 3 });
    expect(runs['r-nested']?.error).toBeNull();
  });
});

describe('summaries beside whole objects', () => {
  test('a newer run summary keeps the params it does not carry, and the result while the status stands', () => {
    upsertRun(makeRun({ id: 'r-sum', version: 1, status: 'succeeded', params: { big: 'x' }, result: { ok: true } }));
    const { params: _p, result: _r, ...summary } = makeRun({ id: 'r-sum', version: 2, status: 'succeeded' });
    expect(upsertRun(summary)).toBe(true);
    expect(runs['r-sum']?.params).toEqual({ big: 'x' });
    expect(runs['r-sum']?.result).toEqual({ ok: true });
    // The whole run of the same version still replaces a summary held.
    const { params: _p2, result: _r2, ...bare } = makeRun({ id: 'r-sum2', version: 1 });
    upsertRun(bare);
    expect(upsertRun(makeRun({ id: 'r-sum2', version: 1, params: { a: 1 } }))).toBe(true);
    expect(runs['r-sum2']?.params).toEqual({ a: 1 });
  });

  test('a job summary of a newer change drops the stale params (the job page fetches them); one of the same change keeps them', () => {
    upsertJob(makeJob({ id: 'job-sum', updatedAt: '2026-11-28T12:00:00.000Z', params: { a: 1 } }));
    const { params: _same, ...sameChange } = makeJob({ id: 'job-sum', updatedAt: '2026-11-28T12:00:00.000Z', description: 'same' });
    upsertJob(sameChange);
    expect(jobs['job-sum']?.params).toEqual({ a: 1 });
    const { params: _newer, ...newer } = makeJob({ id: 'job-sum', updatedAt: '2026-11-28T13:00:00.000Z' });
    upsertJob(newer);
    expect(jobs['job-sum']?.params).toBeUndefined();
  });
});

describe('live events', () => {
  test('a frame of events applies only the newest snapshot of each run, and moves the job’s last run', () => {
    upsertJob(makeJob({ id: 'job-live' }));
    const applied: StoreEvent[][] = [];
    const off = onStoreEvents((events) => applied.push([...events]));
    applyStoreEvents([
      { type: 'run', run: makeRun({ id: 'r-live', jobId: 'job-live', version: 1, status: 'queued' }) },
      { type: 'run', run: makeRun({ id: 'r-live', jobId: 'job-live', version: 3, status: 'succeeded' }) },
      { type: 'run', run: makeRun({ id: 'r-live', jobId: 'job-live', version: 2, status: 'running' }) },
    ]);
    off();
    expect(runs['r-live']?.status).toBe('succeeded');
    expect(jobs['job-live']?.lastRun?.status).toBe('succeeded');
    expect(applied).toHaveLength(1);
    expect(applied[0]?.filter((e) => e.type === 'run')).toHaveLength(1);
  });

  test('a deleted job leaves the store and a late snapshot does not bring it back', () => {
    upsertJob(makeJob({ id: 'job-gone' }));
    applyStoreEvents([{ type: 'job-deleted', id: 'job-gone' }]);
    expect(jobs['job-gone']).toBeUndefined();
    applyStoreEvents([{ type: 'job', job: makeJob({ id: 'job-gone', updatedAt: '2030-01-01T00:00:00.000Z' }) }]);
    expect(jobs['job-gone']).toBeUndefined();
  });

  test('a job snapshot older than a live run event keeps the newer last run', () => {
    upsertJob(makeJob({ id: 'job-race' }));
    applyStoreEvents([{ type: 'run', run: makeRun({ id: 'r-race', jobId: 'job-race', version: 2, status: 'running' }) }]);
    upsertJob(makeJob({ id: 'job-race', updatedAt: '2026-11-28T11:30:00.000Z', lastRun: makeRun({ id: 'r-race', jobId: 'job-race', version: 1 }) }));
    expect(jobs['job-race']?.lastRun?.status).toBe('running');
  });
});

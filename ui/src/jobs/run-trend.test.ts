import { describe, expect, it } from 'vitest';
import { makeRun } from '../test-fixtures';
import { percentile, runTrend } from './run-trend';

describe('run trend', () => {
  it('takes percentiles by nearest rank', () => {
    const values = Array.from({ length: 20 }, (_, i) => (i + 1) * 10);
    expect(percentile(values, 50)).toBe(100);
    expect(percentile(values, 95)).toBe(190);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('counts only finished runs, the latest first chosen, shown oldest first', () => {
    const at = (minute: number) => `2026-11-30T10:${String(minute).padStart(2, '0')}:00.000Z`;
    const runs = [
      makeRun({ id: 'a', status: 'succeeded', queuedAt: at(1), durationMs: 100 }),
      makeRun({ id: 'b', status: 'failed', queuedAt: at(2), durationMs: 300 }),
      makeRun({ id: 'c', status: 'running', queuedAt: at(3), durationMs: null }),
      makeRun({ id: 'd', status: 'succeeded', queuedAt: at(4), durationMs: 200 }),
      makeRun({ id: 'e', status: 'cancelled', queuedAt: at(5), durationMs: null }),
    ];
    const trend = runTrend(runs, 3);
    expect(trend.runs.map((r) => r.id)).toEqual(['b', 'd', 'e']);
    expect(trend.successRate).toBeCloseTo(1 / 3);
    expect(trend.p50Ms).toBe(200);
    expect(trend.p95Ms).toBe(300);
    expect(runTrend([]).successRate).toBeNull();
  });
});

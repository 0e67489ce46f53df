import { afterEach, describe, expect, test, vi } from 'vitest';
import type { RunStatsDto } from '@jobflow/shared/client';
import { makeRun } from '../test-fixtures';
import { createRunStats, HOUR_MS, UNSURE_REFETCH_MS, type KnownRun } from './run-stats';

const NOW = Date.parse('2026-11-28T12:30:00.000Z');
const hourIso = (hoursAgo: number) => new Date(Math.floor(NOW / HOUR_MS) * HOUR_MS - hoursAgo * HOUR_MS).toISOString();
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR_MS).toISOString();

function statsDto(
  patch: { queued?: number; running?: number; hourly?: Record<number, Partial<Record<'succeeded' | 'failed' | 'cancelled', number>>> } = {},
): RunStatsDto {
  const hourly = Array.from({ length: 24 }, (_, i) => ({ hour: hourIso(23 - i), succeeded: 0, failed: 0, cancelled: 0, ...patch.hourly?.[23 - i] }));
  const sum = (k: 'succeeded' | 'failed' | 'cancelled') => hourly.reduce((n, h) => n + h[k], 0);
  return {
    since: hourIso(23),
    active: { queued: patch.queued ?? 0, running: patch.running ?? 0 },
    finished: { succeeded: sum('succeeded'), failed: sum('failed'), cancelled: sum('cancelled') },
    hourly,
  };
}

function setup(initial: RunStatsDto, stored: Record<string, KnownRun> = {}) {
  const fetches: number[] = [];
  let next = initial;
  const stats = createRunStats({
    fetchStats: async () => {
      fetches.push(Date.now());
      return next;
    },
    stored: (id) => stored[id],
  });
  return { stats, fetches, serve: (dto: RunStatsDto) => (next = dto) };
}

afterEach(() => vi.useRealTimers());

describe('dashboard counts and chart from /api/runs/stats', () => {
  test('shows the server’s counts and hourly buckets, oldest first, ending with the current hour', async () => {
    const { stats } = setup(statsDto({ queued: 2, running: 3, hourly: { 0: { succeeded: 4 }, 1: { failed: 2, cancelled: 1 }, 23: { failed: 5 } } }));
    expect(stats.isLoaded()).toBe(false);
    await stats.load();
    expect(stats.isLoaded()).toBe(true);
    expect(stats.counts(NOW)).toEqual({ running: 3, queued: 2, failed: 7 });
    const buckets = stats.buckets(NOW);
    expect(buckets).toHaveLength(24);
    expect(buckets[23]).toMatchObject({ start: Date.parse(hourIso(0)), succeeded: 4, failed: 0 });
    expect(buckets[22]).toMatchObject({ failed: 2, cancelled: 1 });
    expect(buckets[0]).toMatchObject({ failed: 5 });
    // An hour later the oldest hour has left the window.
    expect(stats.counts(NOW + HOUR_MS).failed).toBe(2);
    expect(stats.buckets(NOW + HOUR_MS)[23]).toMatchObject({ succeeded: 0, failed: 0 });
  });

  test('live events move the numbers by each transition: new, started, retried, finished', async () => {
    const { stats, fetches } = setup(statsDto({ queued: 1, running: 1 }), { old: { status: 'running', version: 2 } });
    await stats.load();
    stats.noteRun(makeRun({ id: 'a', status: 'queued', version: 1, queuedAt: at(0) }));
    expect(stats.counts(NOW)).toEqual({ running: 1, queued: 2, failed: 0 });
    stats.noteRun(makeRun({ id: 'a', status: 'running', version: 2 }));
    stats.noteRun(makeRun({ id: 'a', status: 'running', version: 3, progress: 0.5 }));
    expect(stats.counts(NOW)).toEqual({ running: 2, queued: 1, failed: 0 });
    stats.noteRun(makeRun({ id: 'a', status: 'queued', version: 4 }));
    stats.noteRun(makeRun({ id: 'a', status: 'running', version: 5 }));
    stats.noteRun(makeRun({ id: 'a', status: 'failed', version: 6, finishedAt: at(0) }));
    expect(stats.counts(NOW)).toEqual({ running: 1, queued: 1, failed: 1 });
    expect(stats.buckets(NOW)[23]).toMatchObject({ failed: 1 });
    // A run the store knew at the version just before this one.
    stats.noteRun(makeRun({ id: 'old', status: 'succeeded', version: 3, finishedAt: at(0) }));
    expect(stats.counts(NOW).running).toBe(0);
    expect(stats.buckets(NOW)[23]).toMatchObject({ succeeded: 1, failed: 1 });
    // Late, older and repeated snapshots change nothing.
    stats.noteRun(makeRun({ id: 'a', status: 'running', version: 5 }));
    stats.noteRun(makeRun({ id: 'a', status: 'failed', version: 6, finishedAt: at(0) }));
    expect(stats.counts(NOW)).toEqual({ running: 0, queued: 1, failed: 1 });
    expect(fetches).toHaveLength(1);
  });

  test('a run that changed unseen is not guessed at: the stats are fetched again', async () => {
    vi.useFakeTimers({ now: NOW, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { stats, fetches, serve } = setup(statsDto({ running: 2 }), { stale: { status: 'queued', version: 1 } });
    await stats.load();
    // Unknown here at version 4, and a store entry two versions behind: both unplaceable.
    stats.noteRun(makeRun({ id: 'x', status: 'succeeded', version: 4, finishedAt: at(0) }));
    stats.noteRun(makeRun({ id: 'stale', status: 'succeeded', version: 3, finishedAt: at(0) }));
    expect(stats.counts(NOW)).toEqual({ running: 2, queued: 0, failed: 0 });
    serve(statsDto({ running: 0, hourly: { 0: { succeeded: 2 } } }));
    await vi.advanceTimersByTimeAsync(UNSURE_REFETCH_MS);
    expect(fetches).toHaveLength(2);
    expect(stats.counts(NOW).running).toBe(0);
    expect(stats.buckets(NOW)[23]?.succeeded).toBe(2);
    // Both are now known, so their later snapshots are placed without asking again.
    stats.noteRun(makeRun({ id: 'x', status: 'succeeded', version: 5, finishedAt: at(0), logCount: 9 }));
    await vi.advanceTimersByTimeAsync(UNSURE_REFETCH_MS * 2);
    expect(fetches).toHaveLength(2);
    expect(stats.buckets(NOW)[23]?.succeeded).toBe(2);
  });

  test('events that arrive while the stats are loading are taken as included; after a resync nothing seen before is trusted', async () => {
    let release!: (dto: RunStatsDto) => void;
    const pending: Promise<RunStatsDto>[] = [];
    const stats = createRunStats({
      fetchStats: () => {
        const p = new Promise<RunStatsDto>((resolve) => (release = resolve));
        pending.push(p);
        return p;
      },
      stored: () => undefined,
    });
    const loading = stats.load();
    stats.noteRun(makeRun({ id: 'b', status: 'queued', version: 1 }));
    release(statsDto({ queued: 1 }));
    await loading;
    expect(stats.counts(NOW).queued).toBe(1);
    stats.noteRun(makeRun({ id: 'b', status: 'running', version: 2 }));
    expect(stats.counts(NOW)).toMatchObject({ queued: 0, running: 1 });

    const again = stats.load(true);
    release(statsDto({ running: 1 }));
    await again;
    // After missed events, `b` at version 3 cannot be placed from what was seen before.
    stats.noteRun(makeRun({ id: 'b', status: 'succeeded', version: 4, finishedAt: at(0) }));
    expect(stats.counts(NOW)).toMatchObject({ running: 1 });
    stats.dispose();
  });
});

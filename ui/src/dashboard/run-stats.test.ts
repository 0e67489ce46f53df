import { describe, expect, test } from 'vitest';
import type { RunDto } from '@jobflow/shared/client';
import { makeRun } from '../test-fixtures';
import { createRunStats, HOUR_MS } from './run-stats';

const NOW = Date.parse('2026-11-28T12:30:00.000Z');
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR_MS).toISOString();

describe('dashboard counts and chart', () => {
  test('counts running, queued and failed-in-24h, and buckets runs per hour by outcome; live events move them', async () => {
    const all: RunDto[] = [
      makeRun({ id: 'a', status: 'succeeded', queuedAt: at(0.2) }),
      makeRun({ id: 'b', status: 'failed', queuedAt: at(1.1) }),
      makeRun({ id: 'c', status: 'running', queuedAt: at(2.5) }),
      makeRun({ id: 'd', status: 'failed', queuedAt: at(30) }),
    ];
    const longRunning = makeRun({ id: 'old', status: 'running', queuedAt: at(40) });
    const stats = createRunStats(async (query) => {
      if (query.status === 'running') return { items: [all[2] as RunDto, longRunning], nextCursor: null };
      if (query.status === 'queued') return { items: [], nextCursor: null };
      return { items: [...all, longRunning], nextCursor: null };
    });
    await stats.load(NOW);
    expect(stats.counts(NOW)).toEqual({ running: 2, queued: 0, failed: 1 });
    const buckets = stats.buckets(NOW);
    expect(buckets).toHaveLength(24);
    expect(buckets[23]).toMatchObject({ succeeded: 1, failed: 0 });
    expect(buckets[22]).toMatchObject({ failed: 1 });
    expect(buckets[21]).toMatchObject({ active: 1 });

    stats.apply([makeRun({ id: 'c', status: 'failed', queuedAt: at(2.5), version: 2 }), makeRun({ id: 'e', status: 'queued', queuedAt: at(0) })]);
    expect(stats.counts(NOW)).toEqual({ running: 1, queued: 1, failed: 2 });
    // An older snapshot arriving late changes nothing.
    stats.apply([makeRun({ id: 'c', status: 'running', queuedAt: at(2.5), version: 1 })]);
    expect(stats.counts(NOW).running).toBe(1);
  });

  test('stops reading pages once they are older than 24 hours', async () => {
    const calls: (string | null | undefined)[] = [];
    const stats = createRunStats(async (query) => {
      if (query.status) return { items: [], nextCursor: null };
      calls.push(query.cursor);
      return query.cursor
        ? { items: [makeRun({ id: 'y', queuedAt: at(25) })], nextCursor: 'more' }
        : { items: [makeRun({ id: 'x', queuedAt: at(1) })], nextCursor: 'p2' };
    });
    await stats.load(NOW);
    expect(calls).toEqual([null, 'p2']);
    expect(stats.buckets(NOW).reduce((n, b) => n + b.active, 0)).toBe(1);
  });
});

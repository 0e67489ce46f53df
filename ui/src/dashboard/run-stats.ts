import { createSignal } from 'solid-js';
import type { Page, RunDto, RunStatus } from '@jobflow/shared/client';

export const HOUR_MS = 3_600_000;
export const WINDOW_HOURS = 24;
const PAGE_LIMIT = 200;
/** How many runs of the last 24 h the dashboard reads at most for its counts and chart. */
export const MAX_WINDOW_RUNS = 5_000;

interface Seen {
  status: RunStatus;
  queuedAt: string;
  version: number;
}

export interface HourBucket {
  /** Start of the hour, epoch ms. */
  start: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Still queued or running. */
  active: number;
}

export interface RunCounts {
  running: number;
  queued: number;
  failed: number;
}

type FetchRuns = (query: { status?: RunStatus; cursor?: string | null; limit: number }) => Promise<Page<RunDto>>;

/**
 * Counts per status and runs per hour over the last 24 h, from a REST read of
 * the window, kept current by live run events.
 */
export function createRunStats(fetchRuns: FetchRuns) {
  const seen = new Map<string, Seen>();
  const [tick, setTick] = createSignal(0);
  const [isPartial, setPartial] = createSignal(false);
  const [isLoaded, setLoaded] = createSignal(false);
  let generation = 0;

  const note = (run: RunDto) => {
    const current = seen.get(run.id);
    if (current && current.version >= run.version) return false;
    seen.set(run.id, { status: run.status, queuedAt: run.queuedAt, version: run.version });
    return true;
  };

  /** Reads the window again: runs queued in the last 24 h, plus everything still queued or running. */
  const load = async (now = Date.now()) => {
    const mine = ++generation;
    const since = new Date(now - WINDOW_HOURS * HOUR_MS).toISOString();
    const fresh: RunDto[] = [];
    let isCapped = false;
    let cursor: string | null = null;
    do {
      const page = await fetchRuns({ cursor, limit: PAGE_LIMIT });
      if (mine !== generation) return;
      const inWindow = page.items.filter((run) => run.queuedAt >= since);
      fresh.push(...inWindow);
      cursor = inWindow.length === page.items.length ? page.nextCursor : null;
      if (cursor && fresh.length >= MAX_WINDOW_RUNS) {
        isCapped = true;
        cursor = null;
      }
    } while (cursor);
    for (const status of ['running', 'queued'] as const) {
      let next: string | null = null;
      do {
        const page = await fetchRuns({ status, cursor: next, limit: PAGE_LIMIT });
        if (mine !== generation) return;
        fresh.push(...page.items);
        next = page.nextCursor;
        if (next && fresh.length >= MAX_WINDOW_RUNS * 2) {
          isCapped = true;
          next = null;
        }
      } while (next);
    }
    seen.clear();
    for (const run of fresh) note(run);
    setPartial(isCapped);
    setLoaded(true);
    setTick((n) => n + 1);
  };

  /** Live run events; call once per frame with that frame's runs. */
  const apply = (runs: readonly RunDto[]) => {
    let changed = false;
    for (const run of runs) changed = note(run) || changed;
    if (changed) setTick((n) => n + 1);
  };

  const counts = (now: number): RunCounts => {
    tick();
    const since = new Date(now - WINDOW_HOURS * HOUR_MS).toISOString();
    const result: RunCounts = { running: 0, queued: 0, failed: 0 };
    for (const run of seen.values()) {
      if (run.status === 'running') result.running++;
      else if (run.status === 'queued') result.queued++;
      else if (run.status === 'failed' && run.queuedAt >= since) result.failed++;
    }
    return result;
  };

  /** 24 hourly buckets ending with the current hour, by queue time and current outcome. */
  const buckets = (now: number): HourBucket[] => {
    tick();
    const lastStart = Math.floor(now / HOUR_MS) * HOUR_MS;
    const firstStart = lastStart - (WINDOW_HOURS - 1) * HOUR_MS;
    const list: HourBucket[] = Array.from({ length: WINDOW_HOURS }, (_, i) => ({
      start: firstStart + i * HOUR_MS,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      active: 0,
    }));
    for (const run of seen.values()) {
      const at = Date.parse(run.queuedAt);
      const index = Math.floor((at - firstStart) / HOUR_MS);
      const bucket = list[index];
      if (!bucket) continue;
      if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') bucket[run.status]++;
      else bucket.active++;
    }
    return list;
  };

  return { load, apply, counts, buckets, isPartial, isLoaded };
}

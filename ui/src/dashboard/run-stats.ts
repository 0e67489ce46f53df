import { createSignal } from 'solid-js';
import type { RunSummaryDto, RunStatsDto, RunStatus } from '@jobflow/shared/client';
import { createFrameQueue } from '../app/frame-queue';

export const HOUR_MS = 3_600_000;
export const WINDOW_HOURS = 24;
/** How long to wait before asking the server again when a live event could not be placed. */
export const UNSURE_REFETCH_MS = 1_000;
/** Known run states kept before the final ones (which never change again) are forgotten. */
const MAX_KNOWN = 5_000;

type Finished = 'succeeded' | 'failed' | 'cancelled';

export interface HourBucket {
  /** Start of the hour, epoch ms. */
  start: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

export interface RunCounts {
  running: number;
  queued: number;
  /** Runs that failed within the window. */
  failed: number;
}

/** The state of a run as some snapshot had it. */
export interface KnownRun {
  status: RunStatus;
  version: number;
}

export interface RunStatsOptions {
  fetchStats: () => Promise<RunStatsDto>;
  /** What this browser already holds of a run (the runs store), or nothing. */
  stored: (runId: string) => KnownRun | undefined;
  /** Called after a live event could not be placed and a refetch was started; for error display. */
  onRefetchError?: (error: unknown) => void;
}

const isActive = (status: RunStatus | null): status is 'queued' | 'running' => status === 'queued' || status === 'running';
const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * The dashboard's counts (queued and running now, failed in the last 24 h) and
 * its runs-per-hour chart: one `GET /api/runs/stats`, then every live
 * `run:updated` moves the numbers by the run's status transition.
 *
 * The previous status of a run is the one this object last saw, or else the
 * one the runs store holds when it is the version just before. A run first
 * seen at version 1 is new. Anything else (a run that changed while nobody
 * here was looking) cannot be placed, so the stats are fetched again shortly
 * instead of guessing. Events are fed one by one in arrival order (before the
 * per-frame coalescing of the stores), and the screen re-renders once a frame.
 */
export function createRunStats(options: RunStatsOptions) {
  const [tick, setTick] = createSignal(0);
  const [isLoaded, setLoaded] = createSignal(false);
  const bump = createFrameQueue<true>(() => setTick((n) => n + 1));
  const active = { queued: 0, running: 0 };
  let byHour = new Map<number, Record<Finished, number>>();
  const known = new Map<string, KnownRun>();
  let generation = 0;
  let inFlight = 0;
  /** Events that arrived while a snapshot was on its way; the snapshot is taken to include them. */
  let arrivedInFlight: RunSummaryDto[] = [];
  let refetchTimer: ReturnType<typeof setTimeout> | undefined;

  const remember = (run: RunSummaryDto) => {
    const current = known.get(run.id);
    if (current && current.version >= run.version) return false;
    known.set(run.id, { status: run.status, version: run.version });
    if (known.size > MAX_KNOWN) {
      for (const [id, k] of known) {
        if (known.size <= MAX_KNOWN * 0.8) break;
        if (!isActive(k.status)) known.delete(id);
      }
    }
    return true;
  };

  const bucketAt = (start: number) => {
    let bucket = byHour.get(start);
    if (!bucket) {
      bucket = { succeeded: 0, failed: 0, cancelled: 0 };
      byHour.set(start, bucket);
    }
    return bucket;
  };

  const move = (from: RunStatus | null, run: RunSummaryDto) => {
    if (from !== null && !isActive(from)) return; // final states never move
    if (from === run.status) return;
    if (isActive(from)) active[from] = Math.max(0, active[from] - 1);
    if (isActive(run.status)) active[run.status]++;
    else bucketAt(hourOf(run.finishedAt ? Date.parse(run.finishedAt) : Date.now()))[run.status]++;
  };

  /**
   * Reads the stats again. With `hasMissedEvents` (resync, reconnect) what
   * was seen before is no longer trusted as the base of later transitions.
   */
  const load = async (hasMissedEvents = false): Promise<void> => {
    clearTimeout(refetchTimer);
    refetchTimer = undefined;
    if (hasMissedEvents) known.clear();
    const mine = ++generation;
    inFlight++;
    let stats: RunStatsDto;
    try {
      stats = await options.fetchStats();
    } catch (e) {
      inFlight--;
      if (inFlight === 0) {
        // No new base: what arrived meanwhile moves the numbers shown.
        const pending = arrivedInFlight;
        arrivedInFlight = [];
        for (const run of pending) noteRun(run);
      }
      throw e;
    }
    inFlight--;
    if (mine !== generation) return;
    active.queued = stats.active.queued;
    active.running = stats.active.running;
    byHour = new Map();
    for (const h of stats.hourly) byHour.set(Date.parse(h.hour), { succeeded: h.succeeded, failed: h.failed, cancelled: h.cancelled });
    for (const run of arrivedInFlight) remember(run);
    arrivedInFlight = [];
    setLoaded(true);
    bump.push(true);
  };

  const refetchSoon = () => {
    if (refetchTimer !== undefined) return;
    refetchTimer = setTimeout(() => {
      refetchTimer = undefined;
      load().catch((e: unknown) => options.onRefetchError?.(e));
    }, UNSURE_REFETCH_MS);
  };

  /** One live `run:updated`, in arrival order. */
  const noteRun = (run: RunSummaryDto): void => {
    if (inFlight > 0) {
      arrivedInFlight.push(run);
      return;
    }
    const seen = known.get(run.id);
    if (seen && seen.version >= run.version) return;
    let from: RunStatus | null | undefined;
    if (seen) from = seen.status;
    else {
      const stored = options.stored(run.id);
      if (stored && stored.version >= run.version) return;
      if (stored && stored.version === run.version - 1) from = stored.status;
      else if (run.version === 1) from = null;
    }
    remember(run);
    if (from === undefined) {
      refetchSoon();
      return;
    }
    move(from, run);
    bump.push(true);
  };

  const counts = (now: number): RunCounts => {
    tick();
    const first = hourOf(now) - (WINDOW_HOURS - 1) * HOUR_MS;
    let failed = 0;
    for (const [start, bucket] of byHour) if (start >= first && start <= hourOf(now)) failed += bucket.failed;
    return { running: active.running, queued: active.queued, failed };
  };

  /** 24 hourly buckets ending with the current hour, by the hour runs finished in. */
  const buckets = (now: number): HourBucket[] => {
    tick();
    const first = hourOf(now) - (WINDOW_HOURS - 1) * HOUR_MS;
    return Array.from({ length: WINDOW_HOURS }, (_, i) => {
      const start = first + i * HOUR_MS;
      const b = byHour.get(start);
      return { start, succeeded: b?.succeeded ?? 0, failed: b?.failed ?? 0, cancelled: b?.cancelled ?? 0 };
    });
  };

  const dispose = () => clearTimeout(refetchTimer);

  return { load, noteRun, counts, buckets, isLoaded, dispose, flush: () => bump.flushNow() };
}

export type RunStats = ReturnType<typeof createRunStats>;

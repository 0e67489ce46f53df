import { isFinalStatus, type RunSummaryDto } from '@jobflow/shared/client';

/** How a job's recent finished runs went: how many, the share that succeeded, and duration percentiles. */
export interface RunTrend {
  /** The finished runs considered, oldest first. */
  runs: RunSummaryDto[];
  /** Succeeded / finished, in [0, 1]; null without a finished run. */
  successRate: number | null;
  /** Duration percentiles (ms) over the runs that have a duration; null without one. */
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number;
}

/** The `p`-th percentile (0..100) of ascending `sorted` values, by the nearest-rank method. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** The trend of the latest `limit` finished runs among `runs` (any order). */
export function runTrend(runs: readonly RunSummaryDto[], limit = 50): RunTrend {
  const finished = runs
    .filter((r) => isFinalStatus(r.status))
    .sort((a, b) => (a.queuedAt < b.queuedAt ? 1 : a.queuedAt > b.queuedAt ? -1 : 0))
    .slice(0, limit)
    .reverse();
  const durations = finished
    .map((r) => r.durationMs)
    .filter((d): d is number => d !== null)
    .sort((a, b) => a - b);
  return {
    runs: finished,
    successRate: finished.length ? finished.filter((r) => r.status === 'succeeded').length / finished.length : null,
    p50Ms: percentile(durations, 50),
    p95Ms: percentile(durations, 95),
    maxMs: durations.length ? durations[durations.length - 1]! : 0,
  };
}

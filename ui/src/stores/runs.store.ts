import { createStore, reconcile } from 'solid-js/store';
import type { RunDto, RunSummaryDto } from '@jobflow/shared/client';

/**
 * A run as the UI holds it: lists and the dashboard give summaries, the run's
 * own page the whole run (`params`, `result`); a newer summary keeps the
 * params it does not carry (they never change) and the result while the
 * status stands.
 */
export type StoredRun = RunSummaryDto & Partial<Pick<RunDto, 'params' | 'result'>>;

/** Every run the UI has seen, by id; always the snapshot with the highest `version`. */
const [runs, setRuns] = createStore<Record<string, StoredRun>>({});
export { runs };

/** Stores `run` unless a newer (or the same) version is already held; returns whether it was kept. */
export function upsertRun(run: StoredRun): boolean {
  const current = runs[run.id];
  if (current && (current.version > run.version || (current.version === run.version && (run.params === undefined || current.params !== undefined))))
    return false;
  const next: StoredRun = { ...run };
  if (current && next.params === undefined && current.params !== undefined) next.params = current.params;
  if (current && !('result' in run) && current.status === run.status && current.result !== undefined) next.result = current.result;
  setRuns(run.id, current ? reconcile(next) : next);
  return true;
}

export const upsertRuns = (list: readonly StoredRun[]): void => {
  for (const run of list) upsertRun(run);
};

/** Newest first by queue time, then id, as the API lists them. */
export const byQueuedDesc = (a: RunSummaryDto, b: RunSummaryDto): number =>
  a.queuedAt < b.queuedAt ? 1 : a.queuedAt > b.queuedAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

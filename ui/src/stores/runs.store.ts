import { createStore, reconcile } from 'solid-js/store';
import type { RunDto } from '@jobflow/shared/client';

/** Every run the UI has seen, by id; always the snapshot with the highest `version`. */
const [runs, setRuns] = createStore<Record<string, RunDto>>({});
export { runs };

/** Stores `run` unless a newer (or the same) version is already held; returns whether it was kept. */
export function upsertRun(run: RunDto): boolean {
  const current = runs[run.id];
  if (current && current.version >= run.version) return false;
  setRuns(run.id, current ? reconcile(run) : run);
  return true;
}

export const upsertRuns = (list: readonly RunDto[]): void => {
  for (const run of list) upsertRun(run);
};

/** Newest first by queue time, then id, as the API lists them. */
export const byQueuedDesc = (a: RunDto, b: RunDto): number =>
  a.queuedAt < b.queuedAt ? 1 : a.queuedAt > b.queuedAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

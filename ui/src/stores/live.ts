import { batch } from 'solid-js';
import type { JobSummaryDto, RunSummaryDto } from '@jobflow/shared/client';
import { createFrameQueue } from '../app/frame-queue';
import { noteRunOfJob, removeJob, upsertJob } from './jobs.store';
import { upsertRun } from './runs.store';

/** A store change that arrived over the socket. */
export type StoreEvent =
  { type: 'run'; run: RunSummaryDto } | { type: 'job'; job: JobSummaryDto } | { type: 'job-deleted'; id: string } | { type: 'schedule'; jobId: string };

type Listener = (events: readonly StoreEvent[]) => void;
const listeners = new Set<Listener>();

/**
 * Applies a frame's worth of live events to the stores in one batch, keeping
 * only the newest snapshot of each run, then tells the screens' views.
 */
export function applyStoreEvents(events: readonly StoreEvent[]): void {
  const latestRun = new Map<string, RunSummaryDto>();
  const ordered: StoreEvent[] = [];
  for (const event of events) {
    if (event.type === 'run') {
      const seen = latestRun.get(event.run.id);
      if (!seen || event.run.version > seen.version) latestRun.set(event.run.id, event.run);
    } else ordered.push(event);
  }
  batch(() => {
    for (const event of ordered) {
      if (event.type === 'job') upsertJob(event.job);
      else if (event.type === 'job-deleted') removeJob(event.id);
    }
    for (const run of latestRun.values()) {
      upsertRun(run);
      noteRunOfJob(run);
    }
    const applied = [...ordered, ...[...latestRun.values()].map((run): StoreEvent => ({ type: 'run', run }))];
    for (const listener of listeners) listener(applied);
  });
}

const queue = createFrameQueue<StoreEvent>(applyStoreEvents);

/** Queues a live event; the stores change at the next animation frame. */
export const pushStoreEvent = (event: StoreEvent): void => queue.push(event);

/** Lets a screen's list react to applied events (new runs, deleted jobs). */
export function onStoreEvents(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Topic handlers that feed the stores. */
export const storeHandlers = {
  onRunUpdated: (run: RunSummaryDto) => pushStoreEvent({ type: 'run', run }),
  onJobUpdated: (job: JobSummaryDto) => pushStoreEvent({ type: 'job', job }),
  onJobDeleted: (event: { id: string }) => pushStoreEvent({ type: 'job-deleted', id: event.id }),
  onScheduleRecorded: (event: { jobId: string }) => pushStoreEvent({ type: 'schedule', jobId: event.jobId }),
};

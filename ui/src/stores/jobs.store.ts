import { createStore, produce, reconcile } from 'solid-js/store';
import { runSummaryOf, type JobDto, type JobSummaryDto, type RunSummaryDto } from '@jobflow/shared/client';
import { notePeople } from './people.store';

/**
 * A job as the UI holds it: lists and live events give summaries, the job's
 * `GET` the whole job (`params`); a summary of the same `updatedAt` keeps the
 * params it does not carry, a newer one drops them (the job page fetches them).
 */
export type StoredJob = JobSummaryDto & Partial<Pick<JobDto, 'params'>>;

/** Every job the UI has seen, by id; removed when deleted. */
const [jobs, setJobs] = createStore<Record<string, StoredJob>>({});
export { jobs };

/** Ids of jobs known to be deleted, so a late snapshot does not bring them back. */
const deleted = new Set<string>();

export function upsertJob(job: StoredJob): void {
  if (deleted.has(job.id)) return;
  if (job.ownerName) notePeople([{ id: job.ownerId, name: job.ownerName }]);
  const current = jobs[job.id];
  if (current && current.updatedAt > job.updatedAt) return;
  // Keep the newer lastRun: live run events may be ahead of this snapshot.
  const lastRun = newerRun(current?.lastRun ?? null, job.lastRun);
  const params = job.params ?? (current && current.updatedAt === job.updatedAt ? current.params : undefined);
  const next: StoredJob = { ...job, lastRun };
  if (params !== undefined) next.params = params;
  setJobs(job.id, current ? reconcile(next) : next);
}

export const upsertJobs = (list: readonly StoredJob[]): void => {
  for (const job of list) upsertJob(job);
};

export function removeJob(id: string): void {
  deleted.add(id);
  setJobs(produce((all) => void delete all[id]));
}

export const isJobDeleted = (id: string): boolean => deleted.has(id);

/** A run event keeps its job's `lastRun` current. */
export function noteRunOfJob(run: RunSummaryDto): void {
  const job = jobs[run.jobId];
  if (!job) return;
  const next = newerRun(job.lastRun, run);
  if (next !== job.lastRun) setJobs(run.jobId, 'lastRun', next ? reconcile(runSummaryOf(next)) : null);
}

function newerRun(a: RunSummaryDto | null, b: RunSummaryDto | null): RunSummaryDto | null {
  if (!a) return b;
  if (!b) return a;
  if (a.id === b.id) return b.version > a.version ? b : a;
  return b.queuedAt > a.queuedAt ? b : a;
}

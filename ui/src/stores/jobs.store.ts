import { createStore, produce, reconcile } from 'solid-js/store';
import type { JobDto, RunDto } from '@jobflow/shared/client';
import { notePeople } from './people.store';

/** Every job the UI has seen, by id; removed when deleted. */
const [jobs, setJobs] = createStore<Record<string, JobDto>>({});
export { jobs };

/** Ids of jobs known to be deleted, so a late snapshot does not bring them back. */
const deleted = new Set<string>();

export function upsertJob(job: JobDto): void {
  if (deleted.has(job.id)) return;
  if (job.ownerName) notePeople([{ id: job.ownerId, name: job.ownerName }]);
  const current = jobs[job.id];
  if (current && current.updatedAt > job.updatedAt) return;
  // Keep the newer lastRun: live run events may be ahead of this snapshot.
  const lastRun = newerRun(current?.lastRun ?? null, job.lastRun);
  setJobs(job.id, current ? reconcile({ ...job, lastRun }) : { ...job, lastRun });
}

export const upsertJobs = (list: readonly JobDto[]): void => {
  for (const job of list) upsertJob(job);
};

export function removeJob(id: string): void {
  deleted.add(id);
  setJobs(produce((all) => void delete all[id]));
}

export const isJobDeleted = (id: string): boolean => deleted.has(id);

/** A run event keeps its job's `lastRun` current. */
export function noteRunOfJob(run: RunDto): void {
  const job = jobs[run.jobId];
  if (!job) return;
  const next = newerRun(job.lastRun, run);
  if (next !== job.lastRun) setJobs(run.jobId, 'lastRun', next ? reconcile(next) : null);
}

function newerRun(a: RunDto | null, b: RunDto | null): RunDto | null {
  if (!a) return b;
  if (!b) return a;
  if (a.id === b.id) return b.version > a.version ? b : a;
  return b.queuedAt > a.queuedAt ? b : a;
}

import { createMemo, createRoot } from 'solid-js';
import { createStore, produce, reconcile } from 'solid-js/store';
import type { WorkerDto } from '@jobflow/shared/client';
import { client } from '../app/client';

/** Every worker process listed (active, draining, lost), by id; a worker that stopped is dropped. */
const [workers, setWorkers] = createStore<Record<string, WorkerDto>>({});
export { workers };

/** Ids by name, then id: the order the API lists them in. */
export const workerIds = createRoot(() =>
  createMemo(() =>
    Object.values(workers)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((w) => w.id),
  ),
);

/** Applies a snapshot (a `worker:updated` or a drain answer), unless an older one than held; a stopped worker leaves the list. */
export function upsertWorker(worker: WorkerDto): void {
  const current = workers[worker.id];
  if (current && current.lastHeartbeatAt > worker.lastHeartbeatAt && worker.startedAt <= current.startedAt) return;
  if (worker.stoppedAt) {
    setWorkers(produce((all) => void delete all[worker.id]));
    return;
  }
  setWorkers(worker.id, current ? reconcile(worker) : worker);
}

/** Loads the list anew (first visit, and after the live link may have missed events). */
export async function loadWorkers(): Promise<void> {
  const list = await client.workers.list();
  setWorkers(reconcile(Object.fromEntries(list.map((w) => [w.id, w])), { merge: false }));
}

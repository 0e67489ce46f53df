import type { Db } from '../db';
import type { LivePublisher } from '../live';
import type { Logger } from '../platform';
import { workerStore } from './workers.queries';

/**
 * Finds workers whose heartbeats stopped and announces each once as `lost`
 * (a lost worker cannot say so itself). Any number of processes may sweep:
 * the statement marks each lost worker once. Their runs are the run
 * reconcilers' business.
 */
export function startWorkerSweep({ db, live, log, intervalMs }: { db: Db; live: LivePublisher; log: Logger; intervalMs: number }): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    running ??= workerStore
      .markLost(db.sql)
      .then((lost) => {
        for (const worker of lost) {
          log.warn('a worker stopped beating', { workerId: worker.id, name: worker.name, runs: worker.runs.length });
          live.workerUpdated(worker);
        }
      })
      .catch((error: Error) => log.debug('worker sweep failed', { error: error.message }))
      .finally(() => (running = null));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

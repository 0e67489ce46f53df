import type { Redis } from 'ioredis';
import type { WorkerDto } from '@jobflow/shared';
import type { Db } from '../db';
import type { LivePublisher } from '../live';
import type { Logger } from '../platform';
import { listenForWorkerControl } from './worker-control.channel';
import { workerStore, type WorkerIdentity } from './workers.queries';

/** A live worker is announced again at least this often, so screens show a recent heartbeat without an event per beat. */
export const WORKER_ANNOUNCE_MS = 15_000;

export interface WorkerPresenceOptions {
  db: Db;
  /** A Redis client in subscriber mode (control messages arrive on it). */
  subscriber: Redis;
  prefix: string;
  live: LivePublisher;
  log: Logger;
  identity: WorkerIdentity;
  /**
   * Makes the worker drain (stop taking runs, finish those it holds) or take
   * runs (again). Called first with the stored state at registration, then
   * once per change, never twice at once.
   */
  applyDraining(isDraining: boolean): Promise<void>;
}

export interface WorkerPresence {
  /** Whether the worker has stopped taking runs on request. */
  readonly isDraining: boolean;
  /** Marks the worker stopped in the registry and stops beating. */
  stop(): Promise<void>;
}

/**
 * A worker process in the registry (PostgreSQL): registers it, beats every
 * `heartbeatMs`, and obeys drain and resume, whether the request arrives as a
 * control message (at once) or is read back with a heartbeat (after a lost
 * message, or from before a restart with the same id). Announces the
 * worker's snapshot as `worker:updated` when its state or its runs change.
 */
export async function startWorkerPresence(o: WorkerPresenceOptions): Promise<WorkerPresence> {
  const { db, identity, live, log } = o;
  // Unknown until the first drain state (the stored one) is applied: that first call starts taking runs, or not.
  let applied: boolean | null = null;
  let wanted = false;
  let applying: Promise<void> | null = null;
  let lastShown = '';
  let lastShownAt = 0;
  let isStopped = false;

  /** Brings the applied drain state to the wanted one, one change at a time. */
  const settle = (): Promise<void> => {
    applying ??= (async () => {
      try {
        while (applied !== wanted) {
          const next = wanted;
          await o.applyDraining(next);
          if (applied !== null || next) log.info(next ? 'draining: taking no new run' : 'taking runs again');
          applied = next;
        }
      } finally {
        applying = null;
      }
    })();
    return applying;
  };
  const want = (isDraining: boolean) => {
    wanted = isDraining;
    void settle().catch((error: Error) => log.error('could not change whether the worker takes runs', { error: error.message }));
  };

  const show = (worker: WorkerDto, force = false) => {
    const fingerprint = `${worker.state}|${worker.runs.map((r) => `${r.id}:${r.attempt}`).join(',')}`;
    if (!force && fingerprint === lastShown && Date.now() - lastShownAt < WORKER_ANNOUNCE_MS) return;
    lastShown = fingerprint;
    lastShownAt = Date.now();
    live.workerUpdated(worker);
  };

  const registered = await workerStore.register(db.sql, identity);
  want(registered.isDraining);
  await applying;
  show(registered, true);

  let beating: Promise<void> | null = null;
  const beat = async () => {
    const beaten = await workerStore.beat(db.sql, identity.id);
    if (isStopped) return;
    if (!beaten) {
      // The row went (pruned while this process was cut off for a week, or removed by hand): register again.
      const again = await workerStore.register(db.sql, identity);
      want(again.isDraining);
      show(again, true);
      return;
    }
    if (beaten.worker.isDraining !== wanted) want(beaten.worker.isDraining);
    show(beaten.worker, beaten.wasLost);
  };
  const timer = setInterval(() => {
    beating ??= beat()
      .catch((error: Error) => log.warn('heartbeat not stored', { error: error.message }))
      .finally(() => (beating = null));
  }, identity.heartbeatMs);

  await listenForWorkerControl(o.subscriber, o.prefix, identity.id, (control) => want(control.isDraining));

  return {
    get isDraining() {
      return applied === true;
    },
    async stop() {
      isStopped = true;
      clearInterval(timer);
      await beating;
      await applying?.catch(() => {});
      const last = await workerStore.stop(db.sql, identity.id).catch((error: Error) => {
        log.warn('could not mark the worker stopped', { error: error.message });
        return null;
      });
      if (last) live.workerUpdated(last);
    },
  };
}

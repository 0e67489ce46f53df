import type { Db } from '../db';
import type { Logger } from '../platform';
import { leaseStore } from './sweep-leases.queries';

export interface Leases {
  /** Whether this process holds `name` right now (by its own clock, counted from before the last renewal was sent). */
  holds(name: string): boolean;
  /** Every lease this process asks for, and whether it holds it. */
  held(): Record<string, boolean>;
  /** Asks for the leases at once, then renews them every third of their time. */
  start(): Promise<void>;
  /** Stops renewing and hands back what this process holds. */
  stop(): Promise<void>;
}

/**
 * Leases in PostgreSQL (`sweep_leases`): each named lease is held by one
 * process until it expires, and its holder renews it every third of
 * `ttlMs`. A holder that dies stops renewing, and another process takes the
 * lease once it has expired; a holder that stops hands it back at once.
 *
 * A lease limits what work runs where, not what it may change: work done
 * under one stays safe to repeat (every write it makes is fenced), so a
 * holder that lost its lease without knowing it yet does no harm.
 */
export function createLeases(deps: {
  db: Db;
  /** This process, as `sweep_leases.holder` shows it (unique across processes). */
  holder: string;
  names: () => string[];
  ttlMs: number;
  log: Logger;
  /** Told when this process takes a lease it did not hold. */
  onAcquired?: (name: string) => void;
}): Leases {
  const { db, holder, ttlMs, log } = deps;
  const heldUntil = new Map<string, number>();
  let isRunning = false;
  let timer: NodeJS.Timeout | null = null;
  let renewing: Promise<void> | null = null;

  const holds = (name: string) => (heldUntil.get(name) ?? 0) > Date.now();

  async function renew(): Promise<void> {
    const names = deps.names();
    if (names.length === 0) return;
    const askedAt = Date.now();
    let got: Set<string>;
    try {
      got = await leaseStore.renew(db.sql, names, holder, ttlMs);
    } catch (e) {
      // What is held stays held until its time is up; the next renewal tries again.
      log.warn('could not renew sweep leases', { error: (e as Error).message });
      return;
    }
    for (const name of names) {
      const had = holds(name);
      if (got.has(name)) heldUntil.set(name, askedAt + ttlMs);
      else heldUntil.delete(name);
      if (!had && got.has(name)) {
        log.info('took the sweep lease', { sweep: name });
        deps.onAcquired?.(name);
      } else if (had && !got.has(name)) log.warn('lost the sweep lease', { sweep: name });
    }
  }

  const loop = () => {
    renewing = renew().finally(() => {
      renewing = null;
      if (isRunning) timer = setTimeout(loop, Math.max(50, Math.floor(ttlMs / 3)));
    });
  };

  return {
    holds,
    held: () => Object.fromEntries(deps.names().map((name) => [name, holds(name)])),
    async start() {
      isRunning = true;
      loop();
      await renewing;
    },
    async stop() {
      isRunning = false;
      if (timer) clearTimeout(timer);
      await renewing;
      const names = [...heldUntil.keys()];
      heldUntil.clear();
      if (names.length) await leaseStore.release(db.sql, names, holder).catch(() => {});
    },
  };
}

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../db';
import type { Logger } from '../platform';
import { createLeases } from './lease';

export interface SweeperOptions {
  /** How long a lease lasts without renewal: how soon another process takes over the sweeps of one that died. */
  leaseMs: number;
}

interface Duty {
  /** Runs the sweep every `intervalMs` while this process holds its lease; null: the holder runs its own loop. */
  every: { intervalMs: number; sweep: () => Promise<unknown> } | null;
  onAcquired?: () => void;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
}

/** A holder name unique to this process: `role:host:pid:random`, as `sweep_leases` shows it. */
export const sweepHolderId = (role: string, id?: string) => `${role}:${id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`}`;

/**
 * Runs the periodic sweeps of the install (reconciling runs, reopening
 * notifications, schedules, purges) in one process at a time: each sweep has
 * a lease in PostgreSQL, and only the process holding it runs the sweep.
 * Every server and worker starts one, and registers the sweeps it can run;
 * the cost of sweeping stays the same however many processes there are.
 */
export function createSweeper(deps: { db: Db; holder: string; log: Logger; options: SweeperOptions }) {
  const { log } = deps;
  const duties = new Map<string, Duty>();
  let isStarted = false;

  const leases = createLeases({
    db: deps.db,
    holder: deps.holder,
    names: () => [...duties.keys()],
    ttlMs: deps.options.leaseMs,
    log,
    onAcquired: (name) => {
      const duty = duties.get(name);
      duty?.onAcquired?.();
      // A sweep taken over runs at once rather than after its interval.
      if (duty?.every && isStarted) tick(name, duty);
    },
  });

  function tick(name: string, duty: Duty): void {
    if (duty.timer) clearTimeout(duty.timer);
    duty.timer = null;
    if (duty.running || !isStarted || !duty.every) return;
    const { sweep, intervalMs } = duty.every;
    const pass = leases.holds(name) ? sweep() : Promise.resolve();
    duty.running = pass
      .then(
        () => {},
        (e) => log.warn('sweep failed; will try again', { sweep: name, error: (e as Error).message }),
      )
      .finally(() => {
        duty.running = null;
        if (isStarted) duty.timer = setTimeout(() => tick(name, duty), intervalMs);
      });
  }

  return {
    holder: deps.holder,
    /** Runs `sweep` every `intervalMs` in whichever process holds the lease `name`. */
    every(name: string, intervalMs: number, sweep: () => Promise<unknown>): void {
      duties.set(name, { every: { intervalMs, sweep }, timer: null, running: null });
    },
    /**
     * Asks for the lease `name` for work that runs its own loop (the
     * scheduler): the returned check says whether it is this process's turn,
     * and `onAcquired` is told when it becomes so.
     */
    hold(name: string, onAcquired?: () => void): () => boolean {
      duties.set(name, { every: null, onAcquired, timer: null, running: null });
      return () => leases.holds(name);
    },
    /** Whether this process holds each lease it asks for (for metrics). */
    held: () => leases.held(),
    /** Asks for the leases and starts the sweeps (those whose lease this process took run at once). */
    async start(): Promise<void> {
      if (isStarted) return;
      isStarted = true;
      await leases.start();
      for (const [name, duty] of duties) if (!duty.running && !duty.timer) tick(name, duty);
    },
    /** Stops the sweeps, waits for those under way and hands the leases back to the other processes. */
    async stop(): Promise<void> {
      if (!isStarted) return;
      isStarted = false;
      for (const duty of duties.values()) if (duty.timer) clearTimeout(duty.timer);
      await Promise.all([...duties.values()].map((d) => d.running));
      await leases.stop();
    },
  };
}

export type Sweeper = ReturnType<typeof createSweeper>;

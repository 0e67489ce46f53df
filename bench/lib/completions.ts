import { wallMs } from './probe';

/** What a peer's worker ran in one repeat. */
export interface Completions {
  /** Distinct jobs of the repeat whose handler ran. */
  count: number;
  /** Handler runs of a job that had already run. */
  duplicates: number;
  /** Handler runs of jobs that belong to no current repeat (left over from an earlier one). */
  foreign: number;
  /** Wall-clock ms of the last handler run. */
  lastAtMs: number;
}

/**
 * Counts, in a peer's worker process, the jobs its no-op handler ran, by the
 * id each job carries (`<tag>-<i>`, the tag naming the repeat): every job
 * must run exactly once.
 */
export function createCompletions() {
  let prefix = '\0';
  const seen = new Set<string>();
  const state: Completions = { count: 0, duplicates: 0, foreign: 0, lastAtMs: 0 };
  let waiter: { count: number; resolve(): void } | null = null;
  return {
    /** Starts counting the jobs of a new repeat. */
    reset(tag: string) {
      prefix = `${tag}-`;
      seen.clear();
      Object.assign(state, { count: 0, duplicates: 0, foreign: 0, lastAtMs: 0 });
    },
    record(id: string) {
      state.lastAtMs = wallMs();
      if (!id.startsWith(prefix)) state.foreign++;
      else if (seen.has(id)) state.duplicates++;
      else {
        seen.add(id);
        state.count++;
        if (waiter && state.count >= waiter.count) waiter.resolve();
      }
    },
    read: (): Completions => ({ ...state }),
    /** Resolves once `count` distinct jobs ran, or after `timeoutMs` (the counts then tell what is missing). */
    async wait(count: number, timeoutMs: number): Promise<Completions> {
      if (state.count < count) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          waiter = {
            count,
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
          };
        });
        waiter = null;
      }
      return { ...state };
    },
  };
}

/** The ids of one repeat's jobs. */
export const jobIds = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag}-${i}`);

import type { JobContext } from './job-handler';

/**
 * A real handler context for calling a handler directly in a test: it records
 * log lines and progress instead of storing them. Params are passed as a job
 * stored without its schema defaults would hold them.
 */
export function makeContext<P>(params: Partial<P>, signal: AbortSignal = new AbortController().signal) {
  const logs: string[] = [];
  const progress: number[] = [];
  const ctx: JobContext<P> = {
    runId: 'run-1',
    params: params as P,
    attempt: 1,
    maxAttempts: 3,
    signal,
    log: (line) => logs.push(line),
    progress: (fraction) => progress.push(fraction),
    setResult: () => undefined,
  };
  return { ctx, logs, progress };
}

/** Awaits a handler that must throw, and returns what it threw. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error(`expected the handler to throw, it returned (or threw ${String(outcome)})`);
  return outcome;
}

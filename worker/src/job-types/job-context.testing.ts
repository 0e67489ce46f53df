import type { JobContext } from './job-handler';

/**
 * A real handler context for calling a handler directly in a test: it records
 * log lines and progress instead of storing them. Params are passed as a job
 * stored without its schema defaults would hold them.
 */
export function makeContext<P>(params: Partial<P>, signal: AbortSignal = new AbortController().signal) {
  const logs: string[] = [];
  const progress: number[] = [];
  const artifacts: { name: string; contentType?: string; bytes: Buffer }[] = [];
  const ctx: JobContext<P> = {
    runId: 'run-1',
    params: params as P,
    attempt: 1,
    maxAttempts: 3,
    signal,
    log: (line) => logs.push(line),
    progress: (fraction) => progress.push(fraction),
    setResult: () => undefined,
    artifact: async (name, body, options) => {
      const pieces: Buffer[] = [];
      for await (const piece of typeof body === 'string' || body instanceof Uint8Array ? [body] : body) pieces.push(Buffer.from(piece as Uint8Array));
      const bytes = Buffer.concat(pieces);
      artifacts.push({ name, contentType: options?.contentType, bytes });
      return { name, size: bytes.length, contentType: options?.contentType ?? 'application/octet-stream', createdAt: new Date().toISOString() };
    },
  };
  return { ctx, logs, progress, artifacts };
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

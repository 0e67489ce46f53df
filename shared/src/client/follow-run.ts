import { isFinalStatus, type LogLineDto, type RunDto } from '../dto';
import { createAsyncQueue } from './async-queue';
import { ApiClientError } from './client-error';
import type { LiveConnection, Subscription } from './live';
import type { RestApi } from './rest';

/** What `followRun` yields: each log line once, in `seq` order, and every newer run snapshot. */
export type FollowEvent = { type: 'log'; line: LogLineDto } | { type: 'run'; run: RunDto };

export interface FollowRunOptions {
  /** Yield only lines with `seq > afterSeq`; default 0 (the whole log). */
  afterSeq?: number;
  /** Stops following; the iterator then ends. */
  signal?: AbortSignal;
}

/** An async iterator over a run's log and state that ends once the run is final and its log complete. */
export interface RunFollow extends AsyncIterableIterator<FollowEvent> {
  /** The highest `seq` yielded so far (every line up to it has been yielded). */
  readonly lastSeq: number;
  /** The newest run snapshot seen, or null before the first. */
  readonly run: RunDto | null;
  /** Stops following; the iterator ends after the events already queued. */
  close(): void;
}

const PAGE_LIMIT = 5000;
/** Lines may arrive ahead of earlier ones around subscribing; give them a moment before asking REST. */
const GAP_GRACE_MS = 250;
const RETRY_MS = 1_000;

/**
 * Follows a run: subscribes with `afterSeq` (resubscribing with the last `seq`
 * after every reconnect), keeps lines in `seq` order, drops a `seq` it already
 * holds, fills any gap over REST, keeps only snapshots with a higher `version`,
 * and ends when the run is final and every stored line has been yielded.
 */
export function followRun(rest: RestApi, live: LiveConnection, runId: string, options: FollowRunOptions = {}): RunFollow {
  let lastSeq = Math.max(0, options.afterSeq ?? 0);
  let run: RunDto | null = null;
  const ahead = new Map<number, LogLineDto>();
  let subscription: Subscription | null = null;
  let isClosed = false;
  let isFilling = false;
  let isFillWanted = false;
  let hasConfirmedFinal = false;
  let gapTimer: ReturnType<typeof setTimeout> | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const stop = () => {
    if (isClosed) return;
    isClosed = true;
    subscription?.close();
    if (gapTimer) clearTimeout(gapTimer);
    if (retryTimer) clearTimeout(retryTimer);
    options.signal?.removeEventListener('abort', onAbort);
  };
  const queue = createAsyncQueue<FollowEvent>(stop);
  const onAbort = () => queue.end();
  const fail = (error: unknown) => queue.end(error);

  const acceptRun = (next: RunDto) => {
    if (next.id !== runId) return;
    if (run && next.version <= run.version) return;
    run = next;
    queue.push({ type: 'run', run: next });
    if (isFinalStatus(next.status)) subscription?.close();
    maybeEnd();
  };

  const acceptLines = (lines: readonly LogLineDto[]) => {
    for (const line of lines) {
      if (line.seq <= lastSeq || ahead.has(line.seq)) continue;
      if (line.seq !== lastSeq + 1) {
        ahead.set(line.seq, line);
        continue;
      }
      lastSeq = line.seq;
      queue.push({ type: 'log', line });
      for (let next = ahead.get(lastSeq + 1); next; next = ahead.get(lastSeq + 1)) {
        ahead.delete(next.seq);
        lastSeq = next.seq;
        queue.push({ type: 'log', line: next });
      }
    }
    if (ahead.size > 0 && !gapTimer && !isFilling) {
      gapTimer = setTimeout(() => {
        gapTimer = null;
        if (ahead.size > 0) void fill();
      }, GAP_GRACE_MS);
    }
  };

  /** Fetches every stored line after `lastSeq` over REST. */
  const fill = async (): Promise<void> => {
    if (isClosed) return;
    if (isFilling) {
      isFillWanted = true;
      return;
    }
    isFilling = true;
    const isFinalAtStart = run !== null && isFinalStatus(run.status);
    try {
      do {
        isFillWanted = false;
        for (;;) {
          const page = await rest.runs.logs(runId, { after: lastSeq, limit: PAGE_LIMIT });
          if (isClosed) return;
          const before = lastSeq;
          acceptLines(page.items);
          if (page.items.length === 0 || lastSeq === before) break;
        }
      } while (isFillWanted && !isClosed);
      if (isFinalAtStart) hasConfirmedFinal = true;
    } catch (error) {
      if (isClosed) return;
      if (error instanceof ApiClientError && (error.status === 404 || error.status === 403 || error.status === 401)) return fail(error);
      retryTimer = setTimeout(() => {
        retryTimer = null;
        void fill();
      }, RETRY_MS);
      return;
    } finally {
      isFilling = false;
    }
    maybeEnd();
  };

  const maybeEnd = () => {
    if (isClosed || isFilling || !run || !isFinalStatus(run.status)) return;
    if (ahead.size > 0 || lastSeq < run.logCount || !hasConfirmedFinal) {
      void fill();
      return;
    }
    queue.end();
  };

  const refetchRun = async () => {
    try {
      acceptRun(await rest.runs.get(runId));
    } catch (error) {
      if (isClosed) return;
      if (error instanceof ApiClientError && (error.status === 404 || error.status === 403 || error.status === 401)) fail(error);
      // Anything else (network): the next reconnect or resync tries again.
    }
  };

  const start = async () => {
    let first: RunDto;
    try {
      first = await rest.runs.get(runId);
    } catch (error) {
      return fail(error);
    }
    if (isClosed) return;
    if (isFinalStatus(first.status)) {
      // Nothing will change any more: read the log over REST, no subscription needed.
      acceptRun(first);
      return;
    }
    subscription = live.subscribe(
      { topic: 'run', runId, afterSeq: lastSeq },
      {
        onRunUpdated: acceptRun,
        onRunLog: (event) => acceptLines(event.lines),
        onRefetch: (reason) => {
          void refetchRun();
          // On a reconnect the resubscription replays from lastSeq; a resync may have lost lines.
          if (reason === 'resync') void fill();
        },
        onError: (error) => {
          if (error.code === 'timeout') return;
          fail(error);
        },
        onClosed: () => queue.end(),
      },
      { resumeSeq: () => lastSeq },
    );
    acceptRun(first);
    // The snapshot may be older than the subscription's first events; after the ack, refetch once.
    subscription.ready.then(
      () => refetchRun(),
      () => undefined,
    );
  };

  if (options.signal?.aborted) queue.end();
  else {
    options.signal?.addEventListener('abort', onAbort);
    void start();
  }

  return Object.defineProperties(queue, {
    lastSeq: { get: () => lastSeq },
    run: { get: () => run },
    close: { value: () => queue.end() },
  }) as unknown as RunFollow;
}

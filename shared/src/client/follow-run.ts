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
/** A final run's remaining lines come from the subscription's replay; read them over REST if it stalls this long. */
const DRAIN_STALL_MS = 1_000;
const RETRY_MS = 1_000;

/**
 * Follows a run: subscribes with `afterSeq` (resubscribing with the last `seq`
 * after every reconnect), keeps lines in `seq` order, drops a `seq` it already
 * holds, fills any gap over REST, keeps only snapshots with a higher `version`,
 * and ends when the run is final and every line up to its `logCount` has been
 * yielded. The subscription's ack carries the run as stored when it began, so
 * a run that is already over ends as soon as its replayed lines are in.
 */
export function followRun(rest: RestApi, live: LiveConnection, runId: string, options: FollowRunOptions = {}): RunFollow {
  let lastSeq = Math.max(0, options.afterSeq ?? 0);
  let run: RunDto | null = null;
  const ahead = new Map<number, LogLineDto>();
  let subscription: Subscription | null = null;
  let isClosed = false;
  let isFilling = false;
  let isFillWanted = false;
  let gapTimer: ReturnType<typeof setTimeout> | null = null;
  let drainTimer: ReturnType<typeof setTimeout> | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const stop = () => {
    if (isClosed) return;
    isClosed = true;
    subscription?.close();
    for (const timer of [gapTimer, drainTimer, retryTimer]) if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  };
  const queue = createAsyncQueue<FollowEvent>(stop);
  const onAbort = () => queue.end();
  const fail = (error: unknown) => queue.end(error);
  const isRefusal = (error: unknown) => error instanceof ApiClientError && (error.status === 404 || error.status === 403 || error.status === 401);

  const acceptRun = (next: RunDto) => {
    if (next.id !== runId) return;
    if (run && next.version <= run.version) return;
    run = next;
    queue.push({ type: 'run', run: next });
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
    maybeEnd();
  };

  /** Fetches every stored line after `lastSeq` over REST. */
  const fill = async (): Promise<void> => {
    if (isClosed) return;
    if (isFilling) {
      isFillWanted = true;
      return;
    }
    isFilling = true;
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
    } catch (error) {
      if (isClosed) return;
      if (isRefusal(error)) return fail(error);
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

  /** Ends once the run is final and every line up to its `logCount` is out; until then, reads them over REST if they stop coming. */
  const maybeEnd = () => {
    if (isClosed || !run || !isFinalStatus(run.status)) return;
    if (ahead.size === 0 && lastSeq >= run.logCount) {
      queue.end();
      return;
    }
    if (drainTimer || isFilling) return;
    const seqWhenArmed = lastSeq;
    drainTimer = setTimeout(() => {
      drainTimer = null;
      if (lastSeq === seqWhenArmed) void fill();
      else maybeEnd();
    }, DRAIN_STALL_MS);
  };

  const refetchRun = async () => {
    try {
      acceptRun(await rest.runs.get(runId));
    } catch (error) {
      if (isClosed) return;
      if (isRefusal(error)) fail(error);
      // Anything else (network): the next reconnect or resync tries again.
    }
  };

  const start = () => {
    subscription = live.subscribe(
      { topic: 'run', runId, afterSeq: lastSeq },
      {
        onSubscribed: (snapshot) => {
          if (snapshot.run) acceptRun(snapshot.run);
          // A server that sends no snapshot: the run may have moved on before the subscription began.
          else void refetchRun();
        },
        onRunUpdated: acceptRun,
        onRunLog: (event) => acceptLines(event.lines),
        onRefetch: (reason) => {
          // On a reconnect the resubscription's ack and replay (from lastSeq) bring everything; a resync may have lost lines.
          if (reason === 'resync') {
            void refetchRun();
            void fill();
          }
        },
        onError: (error) => {
          if (error.code === 'timeout') return;
          fail(error);
        },
        onClosed: () => queue.end(),
      },
      { resumeSeq: () => lastSeq },
    );
    // Read over REST alongside: an unknown run, a refused token or an unreachable server fails at once rather than
    // leaving the subscription waiting; the snapshot counts like any other (by version).
    rest.runs.get(runId).then(acceptRun, (error: unknown) => {
      if (!isClosed) fail(error);
    });
  };

  if (options.signal?.aborted) queue.end();
  else {
    options.signal?.addEventListener('abort', onAbort);
    start();
  }

  return Object.defineProperties(queue, {
    lastSeq: { get: () => lastSeq },
    run: { get: () => run },
    close: { value: () => queue.end() },
  }) as unknown as RunFollow;
}

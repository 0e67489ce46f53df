import type { Topic } from '../events';
import { createAsyncQueue } from './async-queue';
import type { LiveConnection, LiveEvent } from './live';

export interface WatchOptions {
  /** What to watch; `{topic: "dashboard"}` is everything. */
  topic: Topic;
  /** Stops watching; the iterator then ends. */
  signal?: AbortSignal;
}

/** A live stream of one topic's events, as an async iterator that runs until closed. */
export interface Watch extends AsyncIterableIterator<WatchEvent> {
  /** Settles with the server's first acknowledgement: from then on no event of the topic is missed. */
  readonly ready: Promise<void>;
  close(): void;
}

/** A live event, or `reconnected` when the link came back and events may have been missed. */
export type WatchEvent = LiveEvent | { type: 'reconnected' };

export function watch(live: LiveConnection, options: WatchOptions): Watch {
  const queue = createAsyncQueue<WatchEvent>(() => {
    subscription.close();
    options.signal?.removeEventListener('abort', onAbort);
  });
  const onAbort = () => queue.end();
  const subscription = live.subscribe(options.topic, {
    onRunUpdated: (run) => queue.push({ type: 'run:updated', run }),
    onRunLog: (event) => queue.push({ type: 'run:log', runId: event.runId, lines: event.lines }),
    onJobUpdated: (job) => queue.push({ type: 'job:updated', job }),
    onJobDeleted: (event) => queue.push({ type: 'job:deleted', id: event.id }),
    onRefetch: (reason) => queue.push(reason === 'resync' ? { type: 'resync' } : { type: 'reconnected' }),
    onError: (error) => queue.end(error),
    onClosed: () => queue.end(),
  });
  if (options.signal?.aborted) queue.end();
  else options.signal?.addEventListener('abort', onAbort);
  return Object.defineProperties(queue, {
    ready: { value: subscription.ready },
    close: { value: () => queue.end() },
  }) as unknown as Watch;
}

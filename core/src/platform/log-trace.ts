import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';

/**
 * The points a log line passes on its way from a handler to a subscriber's
 * socket, in order: `read` (the worker has the line), `sent` (its INSERT
 * leaves), `stored` (committed), `published` (its `run:log` goes to Redis),
 * `received` (a server has the packet from Redis), `delivered` (the server
 * wrote it to its subscribers' sockets).
 */
export type LogStage = 'read' | 'sent' | 'stored' | 'published' | 'received' | 'delivered';

/** One message on the `jobflow:log-trace` diagnostics channel: some lines of one run passed `stage` at `atMs`. */
export interface LogTrace {
  stage: LogStage;
  runId: string;
  /** The lines, with their `seq` from `stored` on. */
  lines: readonly { text: string; seq?: number }[];
  /** Wall-clock time in ms, with sub-millisecond precision (`performance.timeOrigin + performance.now()`). */
  atMs: number;
}

/**
 * Stage timestamps of log lines, for measuring where delivery time goes (the
 * fanout benchmark subscribes). Nothing is built or sent while no one
 * subscribes to the channel.
 */
export const logTraceChannel = channel('jobflow:log-trace');

/** Publishes a `LogTrace` when someone listens. */
export function traceLog(stage: LogStage, runId: string, lines: LogTrace['lines']): void {
  if (logTraceChannel.hasSubscribers) logTraceChannel.publish({ stage, runId, lines, atMs: performance.timeOrigin + performance.now() } satisfies LogTrace);
}

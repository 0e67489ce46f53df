import { isFinalStatus, type Ack, type LogLineDto, type RunDto, type Topic } from '@jobflow/shared';
import type { LiveSocket } from './stack';
import { waitFor } from './wait';

/** Sends `subscribe` and resolves with the ack. */
export const subscribe = (socket: LiveSocket, topic: Topic | Record<string, unknown>): Promise<Ack> =>
  new Promise((resolve) => socket.emit('subscribe', topic as Topic, resolve));

/**
 * Records every `run:updated` and `run:log` a socket receives, and keeps what
 * a well-behaved client keeps: lines by seq (dropping repeats), the snapshot
 * with the highest version.
 */
export function collectRun(socket: LiveSocket) {
  const updates = new Map<string, RunDto[]>();
  const arrived = new Map<string, RunDto[]>();
  const lines = new Map<string, Map<number, LogLineDto>>();
  const received = new Map<string, LogLineDto[]>();
  socket.on('run:updated', (payload) => {
    // Whole runs where the socket is on the run's topic (what the tests read `params` and `result` of); summaries elsewhere.
    const run = payload as RunDto;
    arrived.set(run.id, [...(arrived.get(run.id) ?? []), run]);
    const known = updates.get(run.id) ?? [];
    // A snapshot already read over REST (seed) arrives again as an event: keep one per version.
    if (!known.some((r) => r.version === run.version)) updates.set(run.id, [...known, run]);
  });
  socket.on('run:log', ({ runId, lines: batch }) => {
    const kept = lines.get(runId) ?? new Map<number, LogLineDto>();
    for (const l of batch) kept.set(l.seq, l);
    lines.set(runId, kept);
    received.set(runId, [...(received.get(runId) ?? []), ...batch]);
  });
  const latest = (runId: string) => (updates.get(runId) ?? []).reduce<RunDto | undefined>((a, b) => (!a || b.version > a.version ? b : a), undefined);
  const sorted = (runId: string) => [...(lines.get(runId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  return {
    /** Adds a snapshot read over REST, as a client does right after subscribing (the run may have moved on before). */
    seed(run: RunDto) {
      const known = updates.get(run.id) ?? [];
      if (!known.some((r) => r.version === run.version))
        updates.set(
          run.id,
          [...known, run].sort((a, b) => a.version - b.version),
        );
    },
    updates: (runId: string) => updates.get(runId) ?? [],
    /** Every `run:updated` event as it arrived, repeats included (no REST seeds). */
    arrived: (runId: string) => arrived.get(runId) ?? [],
    latest,
    /** Every line received, repeats included, in arrival order. */
    received: (runId: string) => received.get(runId) ?? [],
    lines: sorted,
    untilStatus: (runId: string, status: RunDto['status'], timeoutMs?: number) =>
      waitFor(() => (updates.get(runId) ?? []).find((r) => r.status === status), `run ${runId} to be ${status}`, { timeoutMs }),
    /** The first snapshot of the run that satisfies `predicate`. */
    until: (runId: string, predicate: (run: RunDto) => boolean, what: string, timeoutMs?: number) =>
      waitFor(() => (updates.get(runId) ?? []).find(predicate), `run ${runId}: ${what}`, { timeoutMs }),
    untilFinal: (runId: string, timeoutMs?: number) =>
      waitFor(
        () => {
          const run = latest(runId);
          return run && isFinalStatus(run.status) ? run : undefined;
        },
        `run ${runId} to finish`,
        { timeoutMs },
      ),
    linesUntil: (runId: string, count: number, timeoutMs?: number) =>
      waitFor(() => (lines.get(runId)?.size ?? 0) >= count && sorted(runId), `${count} lines of ${runId}`, { timeoutMs }),
  };
}

import type { LogStream } from '@jobflow/shared';
import { logTraceChannel, traceLog, type Logger } from '@jobflow/core/platform';
import type { NewLogLine, RunEngine } from '@jobflow/core/runs';
import { safeLine } from './log-text';

const MAX_BATCH_LINES = 5000;
const PROGRESS_INTERVAL_MS = 250;
const RETRY_DELAY_MS = 500;

export interface AttemptWriterOptions {
  /** Lines go through the engine's grouped writes: many runs' lines in one statement. */
  runs: Pick<RunEngine, 'appendLines' | 'setProgress'>;
  /** The attempt's logger (its lines carry the run's id and attempt). */
  log: Logger;
  runId: string;
  attempt: number;
  flushMs: number;
  flushLines: number;
  maxLineChars: number;
  /** Called once when a write is refused because this attempt is no longer current. */
  onSuperseded(): void;
}

/**
 * Everything one attempt writes while it runs: log lines, batched into one
 * multi-row insert each (the engine sends one `run:log` per batch), and
 * throttled progress. A run has one batch in flight at a time: the lines written
 * meanwhile make its next batch, so a quiet run's line goes out at once and a
 * fast writer makes few, large batches (few commits, few packets to every
 * subscriber; servers merge the packets of a run that arrive while they are
 * busy). `flushMs` (0 by default) can space batches apart, unless one holds
 * `flushLines` lines. Every write is fenced by (runId, attempt); the first
 * refused write, or `close()`, ends the writer and later writes are dropped.
 */
export function createAttemptWriter(o: AttemptWriterOptions) {
  let buffer: NewLogLine[] = [];
  let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  let isImmediate = false;
  let flushing: Promise<void> | null = null;
  let isClosed = false;
  /** Set by `takeRest`: write whole batches only, leave the last one to the caller. */
  let isHandingOver = false;
  /** Set by `drain`: write whatever is buffered now, without waiting for the batch to fill. */
  let isDraining = false;
  /** When the last batch write started: batches of a run are at least `flushMs` apart unless full. */
  let lastWriteAt = -Infinity;
  let progressTimer: NodeJS.Timeout | null = null;
  let progressWrite: Promise<void> = Promise.resolve();
  let pendingProgress: number | null = null;
  let lastProgressAt = 0;

  const supersede = () => {
    if (isClosed) return;
    isClosed = true;
    buffer = [];
    o.onSuperseded();
  };

  async function writeLoop(): Promise<void> {
    while (buffer.length && !isClosed && !(isHandingOver && buffer.length <= MAX_BATCH_LINES)) {
      if (!isDraining && !isHandingOver && buffer.length < o.flushLines && Date.now() < lastWriteAt + o.flushMs) return;
      lastWriteAt = Date.now();
      const batch = buffer.slice(0, MAX_BATCH_LINES);
      let stored;
      try {
        stored = await o.runs.appendLines({ runId: o.runId, attempt: o.attempt, lines: batch });
      } catch (e) {
        o.log.warn('storing log lines failed; retrying', { error: (e as Error).message });
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
        continue;
      }
      if (stored === null) return supersede();
      buffer.splice(0, batch.length);
    }
  }

  function clearTimer() {
    if (timer && isImmediate) clearImmediate(timer as NodeJS.Immediate);
    else if (timer) clearTimeout(timer as NodeJS.Timeout);
    timer = null;
  }

  function kick(): Promise<void> {
    clearTimer();
    flushing ??= writeLoop().finally(() => {
      flushing = null;
      if (buffer.length && !isClosed) schedule();
    });
    return flushing;
  }

  /** Writes the buffer once the last write is `flushMs` old (at once, after this turn's lines, when it is). */
  function schedule() {
    if (timer || flushing || isHandingOver) return;
    const wait = lastWriteAt + o.flushMs - Date.now();
    const fire = () => {
      timer = null;
      void kick();
    };
    isImmediate = wait <= 0;
    timer = isImmediate ? setImmediate(fire) : setTimeout(fire, wait);
  }

  async function writeProgress() {
    progressTimer = null;
    if (pendingProgress === null || isClosed) return;
    const value = pendingProgress;
    pendingProgress = null;
    lastProgressAt = Date.now();
    progressWrite = progressWrite.then(async () => {
      try {
        await o.runs.setProgress(o.runId, o.attempt, value);
      } catch (e) {
        o.log.warn('storing progress failed', { error: (e as Error).message });
      }
    });
  }

  function close() {
    isClosed = true;
    clearTimer();
    if (progressTimer) clearTimeout(progressTimer);
    buffer = [];
  }

  async function flushProgress() {
    if (progressTimer) {
      clearTimeout(progressTimer);
      await writeProgress();
    }
    await progressWrite;
  }

  return {
    get isClosed() {
      return isClosed;
    },

    /** Appends text as one line per `\n`-separated part. */
    log(text: string, stream: LogStream = 'stdout') {
      if (isClosed) return;
      const ts = new Date().toISOString();
      const parts = String(text).split('\n');
      for (const part of parts) buffer.push({ ts, stream, text: safeLine(part, o.maxLineChars) });
      if (logTraceChannel.hasSubscribers) traceLog('read', o.runId, buffer.slice(-parts.length));
      if (buffer.length >= o.flushLines) void kick();
      else schedule();
    },

    progress(fraction: number) {
      if (isClosed || !Number.isFinite(fraction)) return;
      pendingProgress = Math.min(1, Math.max(0, fraction));
      if (progressTimer) return;
      const wait = Math.max(0, lastProgressAt + PROGRESS_INTERVAL_MS - Date.now());
      progressTimer = setTimeout(() => void writeProgress(), wait);
    },

    /** Stores everything buffered so far. */
    async drain(): Promise<void> {
      isDraining = true;
      while ((buffer.length || flushing) && !isClosed) await kick();
      isDraining = false;
      await flushProgress();
    },

    /**
     * Ends the writer and hands over the lines it has not stored yet, at most
     * one batch, for the caller to store together with the attempt's outcome
     * (one statement instead of two). Waits for the write in flight, stores
     * any earlier whole batches and pending progress first, so the lines
     * handed over come after everything stored. Empty once superseded.
     */
    async takeRest(): Promise<NewLogLine[]> {
      isHandingOver = true;
      clearTimer();
      while ((flushing || buffer.length > MAX_BATCH_LINES) && !isClosed) await kick();
      await flushProgress();
      const rest = isClosed ? [] : buffer;
      buffer = [];
      close();
      return rest;
    },

    /** Ends the writer: later writes are dropped. */
    close,
  };
}

export type AttemptWriter = ReturnType<typeof createAttemptWriter>;

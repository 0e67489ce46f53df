import type { LogLineDto, RunDto } from '@jobflow/shared';
import type { RunRow } from './run-row';

/** A stored change of a run, as the row the statement returned and the snapshot the API shows. */
export interface RunChange {
  row: RunRow;
  run: RunDto;
}

/**
 * What the run engine tells its listeners, always after the change is
 * committed, in the order the changes were stored. An operation emits
 * `run.logged` (the lines its attempt wrote, if any), then `run.stored`,
 * then `run.logged` (its system line, if any), then `run.started` or
 * `run.ended` where it applies.
 */
export interface RunEventMap {
  /** A change of the run's stored state, i.e. a new `version`: created, claimed, progress, requeued for a retry, ended. */
  'run.stored': RunChange;
  /** Lines stored for the run, in `seq` order: output of an attempt, or a `system` line. */
  'run.logged': { runId: string; lines: LogLineDto[] };
  /** A worker claimed an attempt (`run.attempt`); follows that change's `run.stored`. */
  'run.started': RunChange;
  /** The run reached a final status; follows that change's `run.stored` and system line. */
  'run.ended': RunChange;
}

export type RunEventName = keyof RunEventMap;

/**
 * A listener runs synchronously and must return at once: one with slow work
 * (a notification to open) starts it in the background and owns its errors.
 */
export type RunListener<K extends RunEventName> = (event: RunEventMap[K]) => void;

/** Typed run events, in the manner of a Node EventEmitter whose listeners cannot break the emitter. */
export interface RunEvents {
  /** Adds a listener; returns the function that removes it. Listeners of one event run in the order they were added. */
  on<K extends RunEventName>(name: K, listener: RunListener<K>): () => void;
  emit<K extends RunEventName>(name: K, event: RunEventMap[K]): void;
}

/** `onError` hears what a listener threw; the change is stored and the other listeners still run. */
export function createRunEvents(onError: (name: RunEventName, error: unknown) => void): RunEvents {
  const listeners: { [K in RunEventName]: RunListener<K>[] } = { 'run.stored': [], 'run.logged': [], 'run.started': [], 'run.ended': [] };
  return {
    on(name, listener) {
      const list = listeners[name] as RunListener<typeof name>[];
      list.push(listener);
      return () => {
        const i = list.indexOf(listener);
        if (i >= 0) list.splice(i, 1);
      };
    },
    emit(name, event) {
      for (const listener of listeners[name] as RunListener<typeof name>[]) {
        try {
          listener(event);
        } catch (e) {
          onError(name, e);
        }
      }
    },
  };
}

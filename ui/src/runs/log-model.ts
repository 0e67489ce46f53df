import { createSignal } from 'solid-js';
import type { LogLineDto } from '@jobflow/shared/client';
import { stripAnsi } from './ansi';

/**
 * A run's log as one growing array (not a reactive store: 200,000 proxies
 * would be far too slow) plus a signal with its length that views track.
 */
export function createLogModel() {
  const lines: LogLineDto[] = [];
  const [count, setCount] = createSignal(0);
  const [systemLines, setSystemLines] = createSignal<readonly LogLineDto[]>([]);
  return {
    lines: lines as readonly LogLineDto[],
    count,
    /** `system` lines, for the run's timeline. */
    systemLines,
    /** Appends lines already in `seq` order, each once (the typed client guarantees both). */
    append(batch: readonly LogLineDto[]) {
      if (batch.length === 0) return;
      const system: LogLineDto[] = [];
      for (const line of batch) {
        lines.push(line);
        if (line.stream === 'system') system.push(line);
      }
      if (system.length > 0) setSystemLines((list) => [...list, ...system]);
      setCount(lines.length);
    },
  };
}

export type LogModel = ReturnType<typeof createLogModel>;

/** Indexes of lines containing `query` (case-insensitive), scanning from `from`. */
export function findMatches(lines: readonly LogLineDto[], query: string, from = 0, into: number[] = []): number[] {
  if (!query) return into;
  const needle = query.toLowerCase();
  for (let i = from; i < lines.length; i++) {
    if (
      stripAnsi((lines[i] as LogLineDto).text)
        .toLowerCase()
        .includes(needle)
    )
      into.push(i);
  }
  return into;
}

/** The match to go to from line `at`: the next after it, or the previous before it, wrapping around. */
export function stepMatch(matches: readonly number[], at: number, direction: 1 | -1): number | null {
  if (matches.length === 0) return null;
  if (direction === 1) {
    for (const m of matches) if (m > at) return m;
    return matches[0] as number;
  }
  for (let i = matches.length - 1; i >= 0; i--) if ((matches[i] as number) < at) return matches[i] as number;
  return matches[matches.length - 1] as number;
}

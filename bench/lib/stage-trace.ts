import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { logTraceChannel, type LogStage, type LogTrace } from '@jobflow/core/platform';
import { percentile } from './stats';

/** The stages in the order a line passes them (see `LogStage`). */
export const LOG_STAGES: readonly LogStage[] = ['read', 'sent', 'stored', 'published', 'received', 'delivered'];

/** Per stage, the time each line (indexed by its number) first passed it in this process; 0 where it did not. */
export type StageTimes = Partial<Record<LogStage, number[]>>;

/** The bench's lines start with their zero-padded number (`bench/lib/lines.ts`). */
const numberOf = (text: string) => Number(text.slice(0, 8));

/**
 * Records, in this process, when the lines of one run pass each stage of
 * `jobflow:log-trace` (the fanout benchmark's stage breakdown). Subscribing
 * turns the trace on in Jobflow's code; `take` turns it off again.
 */
export function createStageRecorder() {
  let runId = '';
  let times = new Map<LogStage, Float64Array>();
  let total = 0;
  const onTrace = (message: unknown) => {
    const t = message as LogTrace;
    if (t.runId !== runId) return;
    let at = times.get(t.stage);
    if (!at) times.set(t.stage, (at = new Float64Array(total + 1)));
    for (const line of t.lines) {
      const i = numberOf(line.text);
      if (i >= 1 && i <= total && !at[i]) at[i] = t.atMs;
    }
  };
  const stop = () => {
    if (runId) unsubscribe(logTraceChannel.name, onTrace);
    runId = '';
  };
  return {
    start(a: { runId: string; total: number }) {
      stop();
      runId = a.runId;
      total = a.total;
      times = new Map();
      subscribe(logTraceChannel.name, onTrace);
    },
    take(): StageTimes {
      stop();
      return Object.fromEntries([...times].map(([stage, at]) => [stage, Array.from(at)]));
    },
  };
}

/** A stage's share of delivery: from the point before it (`produced` for the first) to it. */
export interface StageFigure {
  /** `read`, …, `delivered`, then `arrived` (at the subscriber). */
  stage: string;
  p50: number;
  p99: number;
  /** Mean time in this stage of the lines whose whole delivery was at or above its p99. */
  tailMean: number;
}

/**
 * Per stage, p50 and p99 over the lines that passed every point, and what
 * the slowest 1 % of lines spent in it: the profile of one subscriber's
 * delivery. `produced` and `arrived` are indexed by line number as the
 * recorded times are; every clock is the same machine's wall clock.
 */
export function stageBreakdown(
  produced: ArrayLike<number>,
  recorded: StageTimes,
  arrived: ArrayLike<number>,
): { lines: number; total: StageFigure; stages: StageFigure[] } {
  const points = [produced, ...LOG_STAGES.map((s) => recorded[s] ?? []), arrived];
  const names = [...LOG_STAGES, 'arrived'];
  const complete: number[] = [];
  for (let i = 1; i < produced.length; i++) if (points.every((p) => (p[i] ?? 0) > 0)) complete.push(i);
  const gap = (k: number, i: number) => points[k + 1]![i]! - points[k]![i]!;
  const totalOf = (i: number) => arrived[i]! - produced[i]!;
  const totals = complete.map(totalOf);
  const tailFrom = percentile(totals, 99);
  const tail = complete.filter((i) => totalOf(i) >= tailFrom);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return {
    lines: complete.length,
    total: { stage: 'total', p50: percentile(totals, 50), p99: tailFrom, tailMean: mean(tail.map(totalOf)) },
    stages: names.map((stage, k) => {
      const gaps = complete.map((i) => gap(k, i));
      return { stage, p50: percentile(gaps, 50), p99: percentile(gaps, 99), tailMean: mean(tail.map((i) => gap(k, i))) };
    }),
  };
}

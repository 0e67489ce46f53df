import type { ProbeReading } from './proc';
import type { PgCounts } from './pg-count';
import { fmt, spread, type Spread } from './stats';

/** What one side produced in one repeat. */
export interface SideSample {
  metrics: Record<string, number>;
  /** What was verified, and every problem found (any problem makes the figure a failure). */
  verified: string[];
  problems: string[];
  /**
   * Raw side only: the peer itself could not deliver (e.g. its clients were
   * dropped under a load it cannot carry). Its figures for that repeat are
   * left out and the report says so; Jobflow's own delivery is not in doubt.
   */
  peerFailure?: string;
  /** Per process: CPU, event-loop delay, RSS over the measured window, and the statements it sent. */
  procs: Record<string, ProbeReading>;
  /** Sum of the side's own PostgreSQL counts (Jobflow: server + workers). */
  pg?: PgCounts;
}

export type Side = 'jobflow' | 'raw';

/**
 * How a row's figure is judged. `ratio>=` / `ratio<=` compare the median of
 * Jobflow ÷ peer per repeat; `diff<=` the median of Jobflow − peer; `abs<=`
 * Jobflow's own median.
 */
export type Target = { kind: 'ratio>=' | 'ratio<=' | 'diff<=' | 'abs<='; value: number; text: string };

export interface RowSpec {
  label: string;
  metric: string;
  unit: string;
  /** The peer's metric when it differs (e.g. the slower of two raw peers). */
  peerMetric?: string;
  /** Only Jobflow has this figure (no ratio). */
  isJobflowOnly?: boolean;
  targets: Target[];
}

export interface CaseSpec {
  id: string;
  /** The workload as run (with every deviation from the issue's numbers). */
  workload: string;
  peer: string;
  warmup: boolean;
  repeats: number;
  rows: RowSpec[];
  /** Called before each side's repeat (fresh processes, data...). */
  run(side: Side, repeat: number, isWarmup: boolean): Promise<SideSample>;
}

export interface RowResult {
  label: string;
  unit: string;
  jobflow: Spread;
  raw: Spread | null;
  /** Jobflow ÷ peer, per repeat (null when Jobflow-only). */
  ratios: number[] | null;
  ratio: Spread | null;
  diffs: number[] | null;
  targets: { text: string; isMet: boolean; figure: number }[];
}

export interface CaseResult {
  id: string;
  workload: string;
  peer: string;
  repeats: number;
  warmup: boolean;
  seconds: number;
  isVerified: boolean;
  verified: string[];
  problems: string[];
  /** Repeats in which the raw peer failed, and why. */
  peerFailures: string[];
  rows: RowResult[];
  samples: { side: Side; repeat: number; isWarmup: boolean; sample: SideSample }[];
}

const judge = (t: Target, r: Omit<RowResult, 'targets'>) => {
  const figure = t.kind === 'abs<=' ? r.jobflow.median : t.kind === 'diff<=' ? spread(r.diffs ?? []).median : (r.ratio?.median ?? NaN);
  const isMet = t.kind === 'ratio>=' ? figure >= t.value : figure <= t.value;
  return { text: t.text, isMet, figure };
};

/**
 * Runs Jobflow and its peer interleaved (warm-up pair first, unless the case
 * says otherwise): A B A B ... Problems found while verifying a repeat are
 * collected; any problem marks the case as failed.
 */
export async function runCase(spec: CaseSpec, log: (line: string) => void): Promise<CaseResult> {
  const t0 = Date.now();
  const samples: CaseResult['samples'] = [];
  const plan = [...(spec.warmup ? [-1] : []), ...Array.from({ length: spec.repeats }, (_, i) => i)];
  for (const repeat of plan) {
    for (const side of ['jobflow', 'raw'] as const) {
      const isWarmup = repeat < 0;
      const sample = await spec.run(side, repeat, isWarmup);
      samples.push({ side, repeat, isWarmup, sample });
      const m = Object.entries(sample.metrics).map(([k, v]) => `${k} ${fmt(v)}`);
      log(
        `  ${spec.id} ${isWarmup ? 'warm-up' : `#${repeat + 1}`} ${side}: ${m.join(', ')}${sample.problems.length ? `  PROBLEMS: ${sample.problems.slice(0, 5).join('; ')}` : ''}${sample.peerFailure ? `  RAW PEER FAILED: ${sample.peerFailure}` : ''}`,
      );
    }
  }
  const measured = samples.filter((s) => !s.isWarmup);
  // A repeat the raw peer failed has no raw figure: its pair drops out of the ratios.
  const of = (side: Side, key: string) => measured.filter((s) => s.side === side).map((s) => (s.sample.peerFailure ? NaN : (s.sample.metrics[key] ?? NaN)));
  const finite = (values: number[]) => values.filter(Number.isFinite);
  const rows = spec.rows.map((r): RowResult => {
    const a = of('jobflow', r.metric);
    const b = r.isJobflowOnly ? null : of('raw', r.peerMetric ?? r.metric);
    const ratios = b ? a.map((x, i) => x / b[i]!) : null;
    const diffs = b ? a.map((x, i) => x - b[i]!) : null;
    const base = {
      label: r.label,
      unit: r.unit,
      jobflow: spread(a),
      raw: b ? spread(finite(b)) : null,
      ratios,
      ratio: ratios ? spread(finite(ratios)) : null,
      diffs: diffs && finite(diffs),
    };
    return { ...base, targets: r.targets.map((t) => judge(t, base)) };
  });
  const problems = samples.flatMap((s) => s.sample.problems.map((p) => `${s.side} ${s.isWarmup ? 'warm-up' : `#${s.repeat + 1}`}: ${p}`));
  const verified = [...new Set(samples.flatMap((s) => s.sample.verified))];
  const peerFailures = samples.flatMap((s) => (s.sample.peerFailure ? [`${s.isWarmup ? 'warm-up' : `#${s.repeat + 1}`}: ${s.sample.peerFailure}`] : []));
  return {
    id: spec.id,
    workload: spec.workload,
    peer: spec.peer,
    repeats: spec.repeats,
    warmup: spec.warmup,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    isVerified: problems.length === 0,
    verified,
    problems,
    peerFailures,
    rows,
    samples,
  };
}

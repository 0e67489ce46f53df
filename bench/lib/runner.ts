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
   * Peer sides only: the peer itself could not deliver (e.g. its clients were
   * dropped under a load it cannot carry). Its figures for that repeat are
   * left out and the report says so; Jobflow's own delivery is not in doubt.
   */
  peerFailure?: string;
  /** Per process: CPU, event-loop delay, RSS over the measured window, and the statements it sent. */
  procs: Record<string, ProbeReading>;
  /** Sum of the side's own PostgreSQL counts (Jobflow: server + workers; a queue peer: its producer + worker). */
  pg?: PgCounts;
}

/** `jobflow`, or the id of a peer (`raw` unless the case names its peers). */
export type Side = string;

/** A peer measured beside Jobflow: its side id in the results and its name in the report. */
export interface PeerSpec {
  side: string;
  name: string;
}

const RAW: PeerSpec[] = [{ side: 'raw', name: 'raw' }];

/**
 * How a row's figure is judged. `ratio>=` / `ratio<=` compare the median of
 * Jobflow ÷ peer per repeat; `diff<=` the median of Jobflow − peer; `abs<=`
 * and `abs>=` Jobflow's own median.
 */
export type Target = { kind: 'ratio>=' | 'ratio<=' | 'diff<=' | 'abs<=' | 'abs>='; value: number; text: string };

export interface RowSpec {
  label: string;
  metric: string;
  unit: string;
  /** The peer's metric when it differs (e.g. the slower of two raw peers). */
  peerMetric?: string;
  /** The peer this row compares with (its side id): the case's first peer unless given. */
  peer?: string;
  /** Only Jobflow has this figure (no ratio). */
  isJobflowOnly?: boolean;
  targets: Target[];
}

export interface CaseSpec {
  id: string;
  /** The workload as run (with every deviation from the issue's numbers). */
  workload: string;
  peer: string;
  /**
   * The peers, in the order each repeat runs them after Jobflow (A B C ...);
   * one `raw` peer unless given; none for a figure only Jobflow has.
   */
  peers?: PeerSpec[];
  warmup: boolean;
  repeats: number;
  rows: RowSpec[];
  /** Called before each side's repeat (fresh processes, data...). */
  run(side: Side, repeat: number, isWarmup: boolean): Promise<SideSample>;
}

export interface RowResult {
  label: string;
  unit: string;
  /** The peer's name (null when Jobflow-only). */
  peer: string | null;
  jobflow: Spread;
  /** The peer's figure (named `raw` since the first peers were raw libraries). */
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
  /** The sides measured: `jobflow`, then each peer's side id, in run order. */
  sides: Side[];
  repeats: number;
  warmup: boolean;
  seconds: number;
  isVerified: boolean;
  verified: string[];
  problems: string[];
  /** Repeats in which a peer failed, and why. */
  peerFailures: string[];
  rows: RowResult[];
  samples: { side: Side; repeat: number; isWarmup: boolean; sample: SideSample }[];
}

const judge = (t: Target, r: Omit<RowResult, 'targets'>) => {
  const figure = t.kind === 'abs<=' || t.kind === 'abs>=' ? r.jobflow.median : t.kind === 'diff<=' ? spread(r.diffs ?? []).median : (r.ratio?.median ?? NaN);
  const isMet = t.kind === 'ratio>=' || t.kind === 'abs>=' ? figure >= t.value : figure <= t.value;
  return { text: t.text, isMet, figure };
};

/**
 * Runs Jobflow and its peers interleaved (a warm-up round first, unless the
 * case says otherwise): A B C A B C ... Problems found while verifying a
 * repeat are collected; any problem, on any side, marks the case as failed.
 */
export async function runCase(spec: CaseSpec, log: (line: string) => void): Promise<CaseResult> {
  const t0 = Date.now();
  const samples: CaseResult['samples'] = [];
  const peers = spec.peers ?? RAW;
  const sides = ['jobflow', ...peers.map((p) => p.side)];
  const plan = [...(spec.warmup ? [-1] : []), ...Array.from({ length: spec.repeats }, (_, i) => i)];
  for (const repeat of plan) {
    for (const side of sides) {
      const isWarmup = repeat < 0;
      const sample = await spec.run(side, repeat, isWarmup);
      samples.push({ side, repeat, isWarmup, sample });
      const m = Object.entries(sample.metrics).map(([k, v]) => `${k} ${fmt(v)}`);
      log(
        `  ${spec.id} ${isWarmup ? 'warm-up' : `#${repeat + 1}`} ${side}: ${m.join(', ')}${sample.problems.length ? `  PROBLEMS: ${sample.problems.slice(0, 5).join('; ')}` : ''}${sample.peerFailure ? `  PEER FAILED: ${sample.peerFailure}` : ''}`,
      );
    }
  }
  const measured = samples.filter((s) => !s.isWarmup);
  // A repeat a peer failed has no figure for that peer: its pair drops out of the ratios.
  const of = (side: Side, key: string) => measured.filter((s) => s.side === side).map((s) => (s.sample.peerFailure ? NaN : (s.sample.metrics[key] ?? NaN)));
  const finite = (values: number[]) => values.filter(Number.isFinite);
  const rows = spec.rows.map((r): RowResult => {
    const peer = r.isJobflowOnly ? null : peers.find((p) => p.side === (r.peer ?? peers[0]?.side));
    if (!r.isJobflowOnly && !peer) throw new Error(`${spec.id}: row ${r.label} compares with ${r.peer ?? 'a peer'}, which the case does not run`);
    const a = of('jobflow', r.metric);
    const b = peer ? of(peer.side, r.peerMetric ?? r.metric) : null;
    const ratios = b ? a.map((x, i) => x / b[i]!) : null;
    const diffs = b ? a.map((x, i) => x - b[i]!) : null;
    const base = {
      label: r.label,
      unit: r.unit,
      peer: peer?.name ?? null,
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
  const nameOf = (side: Side) => peers.find((p) => p.side === side)?.name ?? side;
  const peerFailures = samples.flatMap((s) =>
    s.sample.peerFailure ? [`${nameOf(s.side)} ${s.isWarmup ? 'warm-up' : `#${s.repeat + 1}`}: ${s.sample.peerFailure}`] : [],
  );
  return {
    id: spec.id,
    workload: spec.workload,
    peer: spec.peer,
    sides,
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

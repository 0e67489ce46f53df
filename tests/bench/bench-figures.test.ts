import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../bench/lib/histogram';
import { runCase, type SideSample } from '../../bench/lib/runner';
import { percentile } from '../../bench/lib/stats';

/** A deterministic spread of latencies from 0.05 ms to a few seconds (a long tail, as fan-out has). */
function latencies(count: number, seed: number): number[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () => 0.05 * Math.exp(next() * 11));
}

const sample = (metrics: Record<string, number>, extra: Partial<SideSample> = {}): SideSample => ({ metrics, verified: [], problems: [], procs: {}, ...extra });

describe('latency histogram of the fan-out load generators', () => {
  it('gives the percentiles of every sample to within 0.2 %, and the exact maximum', () => {
    const values = latencies(50_000, 7);
    const h = new LatencyHistogram();
    for (const v of values) h.add(v);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = percentile(values, p);
      expect(Math.abs(h.percentile(p) - exact) / exact, `p${p}`).toBeLessThanOrEqual(0.002);
    }
    expect(h.percentile(100)).toBe(Math.max(...values));
    expect(h.count).toBe(values.length);
  });

  it('merges what several processes collected into the histogram of all their samples', () => {
    const parts = [latencies(10_000, 1), latencies(20_000, 2), latencies(5, 3)];
    const whole = new LatencyHistogram();
    const merged = new LatencyHistogram();
    for (const part of parts) {
      const h = new LatencyHistogram();
      for (const v of part) {
        h.add(v);
        whole.add(v);
      }
      // What crosses the process boundary is the JSON form.
      merged.merge(JSON.parse(JSON.stringify(h)));
    }
    for (const p of [1, 50, 99, 100]) expect(merged.percentile(p)).toBe(whole.percentile(p));
    expect(merged.count).toBe(30_005);
  });

  it('reports 0 without samples and keeps sub-microsecond or negative delays in its first bucket', () => {
    const h = new LatencyHistogram();
    expect(h.percentile(99)).toBe(0);
    h.add(-0.3);
    h.add(0);
    expect(h.percentile(50)).toBeLessThanOrEqual(0.001);
  });
});

describe('a benchmark case with several peers', () => {
  const peers = [
    { side: 'raw', name: 'raw' },
    { side: 'a', name: 'peer A' },
    { side: 'b', name: 'peer B' },
  ];
  const rate: Record<string, number[]> = { jobflow: [100, 200, 300], raw: [1000, 1000, 1000], a: [50, 100, 200], b: [100, 100, 100] };

  it('runs Jobflow then each peer in every round and gives Jobflow ÷ each peer per repeat', async () => {
    const order: string[] = [];
    const result = await runCase(
      {
        id: 'x',
        workload: 'w',
        peer: 'p',
        peers,
        warmup: true,
        repeats: 3,
        rows: [
          { label: 'rate', metric: 'rate', unit: '/s', peer: 'a', targets: [{ kind: 'ratio>=', value: 1, text: '≥ 1.0 of A' }] },
          { label: 'rate', metric: 'rate', unit: '/s', peer: 'b', targets: [{ kind: 'ratio>=', value: 2.5, text: '≥ 2.5 of B' }] },
          { label: 'rate', metric: 'rate', unit: '/s', targets: [] },
        ],
        run: async (side, repeat, isWarmup) => {
          order.push(`${isWarmup ? 'w' : repeat + 1}${side}`);
          return sample({ rate: isWarmup ? 1 : rate[side]![repeat]! });
        },
      },
      () => {},
    );
    expect(order).toEqual(['wjobflow', 'wraw', 'wa', 'wb', ...[1, 2, 3].flatMap((r) => ['jobflow', 'raw', 'a', 'b'].map((s) => `${r}${s}`))]);
    expect(result.sides).toEqual(['jobflow', 'raw', 'a', 'b']);
    const [vsA, vsB, vsRaw] = result.rows;
    expect(vsA!.peer).toBe('peer A');
    expect(vsA!.ratios).toEqual([2, 2, 1.5]);
    expect(vsA!.targets[0]!.isMet).toBe(true);
    expect(vsB!.ratios).toEqual([1, 2, 3]);
    expect(vsB!.raw).toEqual({ median: 100, min: 100, max: 100 });
    expect(vsB!.targets[0]!.isMet).toBe(false);
    expect(vsRaw!.peer).toBe('raw');
    expect(vsRaw!.ratios).toEqual([0.1, 0.2, 0.3]);
    expect(result.isVerified).toBe(true);
  });

  it('fails the case on a problem found on any peer side, and leaves a failed peer repeat out of its ratios only', async () => {
    const result = await runCase(
      {
        id: 'x',
        workload: 'w',
        peer: 'p',
        peers,
        warmup: false,
        repeats: 3,
        rows: [
          { label: 'rate', metric: 'rate', unit: '/s', peer: 'a', targets: [] },
          { label: 'rate', metric: 'rate', unit: '/s', peer: 'b', targets: [] },
        ],
        run: async (side, repeat) => {
          if (side === 'a' && repeat === 1) return sample({ rate: 1 }, { peerFailure: 'dropped its clients' });
          if (side === 'b' && repeat === 2) return sample({ rate: 100 }, { problems: ['3 jobs ran twice'] });
          return sample({ rate: rate[side]![repeat]! });
        },
      },
      () => {},
    );
    expect(result.rows[0]!.ratios).toEqual([2, NaN, 1.5]);
    expect(result.rows[0]!.ratio).toEqual({ median: 1.75, min: 1.5, max: 2 });
    expect(result.peerFailures).toEqual(['peer A #2: dropped its clients']);
    expect(result.problems).toEqual(['b #3: 3 jobs ran twice']);
    expect(result.isVerified).toBe(false);
  });
});

describe('a figure only Jobflow has', () => {
  it('judges its median against a floor or a ceiling', async () => {
    const scores = [88, 95, 91];
    const result = await runCase(
      {
        id: 'x',
        workload: 'w',
        peer: 'none',
        peers: [],
        warmup: false,
        repeats: 3,
        rows: [
          { label: 'score', metric: 'score', unit: '', isJobflowOnly: true, targets: [{ kind: 'abs>=', value: 90, text: '≥ 90' }] },
          { label: 'score', metric: 'score', unit: '', isJobflowOnly: true, targets: [{ kind: 'abs>=', value: 92, text: '≥ 92' }] },
          { label: 'score', metric: 'score', unit: '', isJobflowOnly: true, targets: [{ kind: 'abs<=', value: 90, text: '≤ 90' }] },
        ],
        run: async (_side, repeat) => sample({ score: scores[repeat]! }),
      },
      () => {},
    );
    expect(result.sides).toEqual(['jobflow']);
    expect(result.rows.map((r) => r.targets[0])).toEqual([
      { text: '≥ 90', isMet: true, figure: 91 },
      { text: '≥ 92', isMet: false, figure: 91 },
      { text: '≤ 90', isMet: false, figure: 91 },
    ]);
    expect(result.rows[0]!.ratio).toBeNull();
  });
});

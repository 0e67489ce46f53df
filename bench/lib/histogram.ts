/** Relative width of a bucket: values are kept to within 0.2 %. */
const GROWTH = 1.002;
const LOG_GROWTH = Math.log(GROWTH);
/** Values at or below this (ms) share the first bucket. */
const FLOOR_MS = 0.001;

/** A histogram in a form that crosses a process boundary (IPC, JSON). */
export interface HistogramData {
  /** [bucket, count] pairs. */
  buckets: [number, number][];
  count: number;
  maxMs: number;
}

/**
 * Latency samples in logarithmic buckets (0.2 % wide), so load-generator
 * processes can each hold millions of samples and send the driver a few
 * thousand numbers to merge; percentiles are then exact to within 0.2 %.
 */
export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  count = 0;
  maxMs = 0;

  static bucketOf(ms: number): number {
    return ms <= FLOOR_MS ? 0 : Math.ceil(Math.log(ms / FLOOR_MS) / LOG_GROWTH);
  }

  /** The value a bucket stands for: its upper bound. */
  static valueOf(bucket: number): number {
    return bucket === 0 ? FLOOR_MS : FLOOR_MS * GROWTH ** bucket;
  }

  add(ms: number): void {
    const b = LatencyHistogram.bucketOf(ms);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.count++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  merge(data: HistogramData): this {
    for (const [b, n] of data.buckets) this.counts.set(b, (this.counts.get(b) ?? 0) + n);
    this.count += data.count;
    this.maxMs = Math.max(this.maxMs, data.maxMs);
    return this;
  }

  /** Percentile by nearest rank, as `percentile()` in stats.ts (0 for no samples); p = 100 gives the exact maximum. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    if (p >= 100) return this.maxMs;
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p / 100) * this.count)));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return Math.min(LatencyHistogram.valueOf(b), this.maxMs);
    }
    return this.maxMs;
  }

  toJSON(): HistogramData {
    return { buckets: [...this.counts.entries()], count: this.count, maxMs: this.maxMs };
  }
}

/** Relative width of a bucket: values are kept to within 0.2 %. */
const GROWTH = 1.002;
const LOG_GROWTH = Math.log(GROWTH);
/** Values at or below this (ms) share the first bucket. */
const FLOOR_MS = 0.001;
/** Values above about 3 hours share the last bucket (the maximum is kept exactly). */
const BUCKETS = Math.ceil(Math.log(1e7 / FLOOR_MS) / LOG_GROWTH) + 1;

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
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  maxMs = 0;

  static bucketOf(ms: number): number {
    return ms <= FLOOR_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FLOOR_MS) / LOG_GROWTH));
  }

  /** The value a bucket stands for: its upper bound. */
  static valueOf(bucket: number): number {
    return bucket === 0 ? FLOOR_MS : FLOOR_MS * GROWTH ** bucket;
  }

  add(ms: number): void {
    this.counts[LatencyHistogram.bucketOf(ms)]!++;
    this.count++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  merge(data: HistogramData): this {
    for (const [b, n] of data.buckets) this.counts[b]! += n;
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
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(LatencyHistogram.valueOf(b), this.maxMs);
    }
    return this.maxMs;
  }

  toJSON(): HistogramData {
    const buckets: [number, number][] = [];
    this.counts.forEach((n, b) => n && buckets.push([b, n]));
    return { buckets, count: this.count, maxMs: this.maxMs };
  }
}

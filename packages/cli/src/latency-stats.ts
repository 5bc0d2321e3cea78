/**
 * Latency statistics of the perf commands: count, average and maximum over
 * every record; percentiles over a sample of at most `maxSamples` records
 * (every k-th record, k = ceil(expected / maxSamples), as Kafka's perf tool
 * samples), and a histogram with power-of-two bucket bounds over every record.
 *
 * Histogram buckets (ms): [0, 0.125), [0.125, 0.25), [0.25, 0.5), [0.5, 1),
 * [1, 2), ... — bucket 0 below the first bound, bucket i >= 1 in
 * [FIRST_BOUND * 2^(i-1), FIRST_BOUND * 2^i). Bucket bounds of this form are
 * exact in binary, so no value is counted in the wrong bucket by rounding.
 */

const FIRST_BOUND_MS = 0.125;
const BUCKETS = 40;

/** Percentiles and totals of recorded latencies, in ms. */
export interface LatencySummary {
  count: number;
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/** One histogram bucket: latencies in [fromMs, toMs). */
export interface HistogramBucket {
  fromMs: number;
  toMs: number;
  count: number;
}

/** Records latencies (ms) and summarizes them; see the file comment for sampling and buckets. */
export class LatencyRecorder {
  readonly #samples: Float64Array;
  readonly #every: number;
  #sampled = 0;
  #count = 0;
  #sumMs = 0;
  #maxMs = 0;
  readonly #buckets = new Float64Array(BUCKETS);

  /** `expected`: how many latencies will be recorded (sizes the sample). */
  constructor(expected: number, maxSamples = 1_000_000) {
    this.#every = Math.max(1, Math.ceil(expected / maxSamples));
    this.#samples = new Float64Array(Math.max(1, Math.ceil(expected / this.#every)));
  }

  /** Adds one latency in ms. */
  record(ms: number): void {
    if (this.#count % this.#every === 0 && this.#sampled < this.#samples.length) this.#samples[this.#sampled++] = ms;
    this.#count++;
    this.#sumMs += ms;
    if (ms > this.#maxMs) this.#maxMs = ms;
    this.#buckets[bucketOf(ms)]++;
  }

  /** Latencies recorded so far. */
  get count(): number {
    return this.#count;
  }

  /** Count, average, maximum and percentiles. */
  summary(): LatencySummary {
    const sorted = this.#samples.slice(0, this.#sampled).sort();
    return {
      count: this.#count,
      avgMs: this.#count === 0 ? 0 : this.#sumMs / this.#count,
      maxMs: this.#maxMs,
      p50Ms: percentile(sorted, 0.5),
      p95Ms: percentile(sorted, 0.95),
      p99Ms: percentile(sorted, 0.99),
      p999Ms: percentile(sorted, 0.999),
    };
  }

  /** The buckets from the lowest to the highest non-empty one (empty list when nothing was recorded). */
  histogram(): HistogramBucket[] {
    let lo = 0;
    let hi = BUCKETS - 1;
    while (lo < BUCKETS && this.#buckets[lo] === 0) lo++;
    while (hi >= 0 && this.#buckets[hi] === 0) hi--;
    const out: HistogramBucket[] = [];
    for (let i = lo; i <= hi; i++) out.push({ fromMs: i === 0 ? 0 : FIRST_BOUND_MS * 2 ** (i - 1), toMs: FIRST_BOUND_MS * 2 ** i, count: this.#buckets[i] });
    return out;
  }
}

/** The bucket index of a latency (see the file comment). */
export function bucketOf(ms: number): number {
  if (!(ms >= FIRST_BOUND_MS)) return 0;
  // Math.log2 of an exact power of two is exact, so bucket bounds fall on the right side.
  return Math.min(BUCKETS - 1, Math.floor(Math.log2(ms / FIRST_BOUND_MS)) + 1);
}

/** Nearest-rank percentile of ascending `sorted` (0 when empty). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * The histogram as text, one bucket a line:
 *
 *       1 -      2 ms | ##########################            4211  42.1%
 */
export function formatHistogram(buckets: HistogramBucket[], width = 40): string {
  const total = buckets.reduce((n, b) => n + b.count, 0);
  const most = buckets.reduce((n, b) => Math.max(n, b.count), 0);
  if (total === 0) return '';
  const fmt = (ms: number): string => String(ms).padStart(7);
  const countWidth = String(most).length;
  return buckets
    .map((b) => {
      const bar = '#'.repeat(b.count === 0 ? 0 : Math.max(1, Math.round((b.count / most) * width)));
      const pct = ((b.count / total) * 100).toFixed(1).padStart(5);
      return `${fmt(b.fromMs)} - ${fmt(b.toMs)} ms | ${bar.padEnd(width)} ${String(b.count).padStart(countWidth)} ${pct}%\n`;
    })
    .join('');
}

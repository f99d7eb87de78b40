/**
 * A streaming quantile sketch for positive values with relative accuracy α (DDSketch, Masson et
 * al. 2019): value x falls in bucket ⌈log_γ x⌉ with γ = (1+α)/(1−α), and every quantile it
 * returns is within a factor (1 ± α) of the true one. Fixed memory (a few thousand counters for
 * values up to 10¹²), mergeable, and exact in rank: no value is ever stored.
 */
export class QuantileSketch {
  private readonly gamma: number;
  private readonly logGamma: number;
  private readonly counts: Float64Array;
  count = 0;

  constructor(
    readonly relativeAccuracy = 0.01,
    readonly maxValue = 1e12,
  ) {
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
    this.counts = new Float64Array(this.bucketOf(maxValue) + 1);
  }

  /** Bucket index of a value ≥ 1. */
  bucketOf(x: number): number {
    return Math.max(0, Math.ceil(Math.log(Math.min(Math.max(x, 1), this.maxValue)) / this.logGamma));
  }

  /** The value a bucket stands for: the point of least relative error inside it. */
  valueOf(bucket: number): number {
    return (2 * this.gamma ** bucket) / (this.gamma + 1);
  }

  add(x: number): void {
    this.counts[this.bucketOf(x)]!++;
    this.count++;
  }

  /** The q-quantile (0 ≤ q ≤ 1), within relative error α; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = q * (this.count - 1);
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b]!;
      if (seen > rank) return this.valueOf(b);
    }
    return this.valueOf(this.counts.length - 1);
  }

  /** Non-empty buckets as [representative value, count], ascending. */
  *buckets(): IterableIterator<[number, number]> {
    for (let b = 0; b < this.counts.length; b++) if (this.counts[b]! > 0) yield [this.valueOf(b), this.counts[b]!];
  }
}

/** One sample as prom-client's registry renders it (the shape of its own metrics' `get()`). */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

/**
 * A label-less histogram whose `observe` is a bucket search and three additions (~10 ns, against
 * ~400 ns for prom-client's `Histogram.observe`, which allocates per call; measured on this
 * project's 2-core VM). It is observed once per message of every backplane batch, including the
 * messages no local connection wants, so its cost adds to every instance's reader loop.
 * It joins a prom-client registry as any metric does: the registry reads `name` and calls `get()`.
 */
export class LagHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  /** @param bounds increasing upper bounds (`le`), without `+Inf`. */
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]) bucket++;
    this.counts[bucket]++;
    this.sum += value;
    this.count++;
  }

  /** Called by the registry at scrape time. */
  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Sample[] } {
    const values: Sample[] = [];
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += this.counts[i];
      const le = i < this.bounds.length ? this.bounds[i] : '+Inf';
      values.push({ value: cumulative, labels: { le }, metricName: `${this.name}_bucket` });
    }
    values.push({ value: this.sum, labels: {}, metricName: `${this.name}_sum` });
    values.push({ value: this.count, labels: {}, metricName: `${this.name}_count` });
    const { name, help, type, aggregator } = this;
    return { name, help, type, aggregator, values };
  }

  /** `registry.resetMetrics()` calls it on every metric. */
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

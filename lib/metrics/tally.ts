import type { Counter, LabelValues } from 'prom-client';

/**
 * Counts by label value kept as plain numbers where they happen (one addition, ~1 ns, against
 * ~150–350 ns for a prom-client `inc()`, measured), handed to a counter at scrape time.
 */
export class Tally<K extends string> {
  readonly counts: Record<K, number>;
  private readonly flushed: Record<K, number>;

  constructor(private readonly keys: readonly K[]) {
    this.counts = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
    this.flushed = { ...this.counts };
  }

  /** Adds what was counted since the last scrape to `counter`, under the label `label`. */
  flushInto<L extends string>(counter: Counter<L>, label: L): void {
    for (const key of this.keys) {
      const delta = this.counts[key] - this.flushed[key];
      // An `inc` of 0 still creates the series: every kind shows from the first scrape.
      counter.inc({ [label]: key } as unknown as LabelValues<L>, delta);
      this.flushed[key] = this.counts[key];
    }
  }
}

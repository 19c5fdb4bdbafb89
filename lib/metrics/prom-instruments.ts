import type * as PromClient from 'prom-client';
import type { MetricsRegistry } from '../metrics.options.js';
import { LagHistogram } from './lag-histogram.js';

export interface PromMetricsSettings {
  readonly prefix: string;
  readonly registry: MetricsRegistry;
  readonly buckets: number[];
}

/**
 * Creates this library's `prom-client` instruments in the app's registry, under its prefix, and
 * removes them again: the names it registered are the ones `unregister` takes back.
 */
export class PromInstruments {
  private readonly names: string[] = [];

  constructor(
    private readonly prom: typeof PromClient,
    private readonly settings: PromMetricsSettings,
  ) {}

  /** A gauge whose value `collect` sets at scrape time. */
  gauge<L extends string>(
    suffix: string,
    help: string,
    labelNames: L[],
    collect: (this: PromClient.Gauge<L>) => void,
  ): PromClient.Gauge<L> {
    const registers = [this.settings.registry as PromClient.Registry];
    return new this.prom.Gauge({ name: this.name(suffix), help, labelNames, registers, collect });
  }

  counter<L extends string = string>(
    suffix: string,
    help: string,
    labelNames: L[] = [],
    collect?: (this: PromClient.Counter<L>) => void,
  ): PromClient.Counter<L> {
    const registers = [this.settings.registry as PromClient.Registry];
    return new this.prom.Counter({ name: this.name(suffix), help, labelNames, registers, collect });
  }

  histogram<L extends string>(
    suffix: string,
    help: string,
    labelNames: L[],
  ): PromClient.Histogram<L> {
    const registers = [this.settings.registry as PromClient.Registry];
    const buckets = this.settings.buckets;
    return new this.prom.Histogram({
      name: this.name(suffix),
      help,
      labelNames,
      registers,
      buckets,
    });
  }

  /** A histogram of delays observed on the delivery path, without prom-client's per-call cost. */
  lagHistogram(suffix: string, help: string): LagHistogram {
    const histogram = new LagHistogram(this.name(suffix), help, this.settings.buckets);
    this.settings.registry.registerMetric(histogram);
    return histogram;
  }

  /** Removes this library's metrics from the registry (an app closing; another may follow). */
  unregister(): void {
    for (const name of this.names.splice(0)) this.settings.registry.removeSingleMetric(name);
  }

  /** @throws Error when a metric of the same name is already in the registry. */
  private name(suffix: string): string {
    const name = this.settings.prefix + suffix;
    if (this.settings.registry.getSingleMetric(name)) {
      this.unregister();
      throw new Error(
        `DistributedWsModule: a metric named "${name}" is already registered. Two apps in one process need their own "metrics.registry" or "metrics.prefix".`,
      );
    }
    this.names.push(name);
    return name;
  }
}

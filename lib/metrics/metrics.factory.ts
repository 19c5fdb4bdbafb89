import type * as PromClient from 'prom-client';
import type { Broker, BrokerEntry } from '../broker/broker.interface.js';
import { checkOptionalPackage, type OptionalPackage } from '../errors/optional-package.error.js';
import { NOOP_METRICS, type DwsMetrics } from './metrics.interface.js';
import {
  DEFAULT_LATENCY_BUCKETS,
  DEFAULT_METRICS_PREFIX,
  type MetricsOptions,
  type MetricsRegistry,
} from '../metrics.options.js';
import { type MetricSources, PromMetrics } from './prom-metrics.js';

/** The metrics in use, and how to take them back out of the registry and the broker. */
export interface MetricsHandle {
  readonly metrics: DwsMetrics;
  readonly registry: MetricsRegistry | null;
  /** Unregisters the metrics and restores the broker's own `publish`. */
  release(): void;
}

const NOOP_HANDLE: MetricsHandle = { metrics: NOOP_METRICS, registry: null, release: () => {} };

/**
 * Builds the metrics the option asks for. `prom-client` is imported here, on demand: apps that
 * leave metrics off never load it and need not install it.
 * @throws OptionalPackageError naming the package, its range and the install command when
 *   `prom-client` is missing or not a 15.x.
 */
export async function createMetrics(
  option: boolean | MetricsOptions | undefined,
  sources: MetricSources,
): Promise<MetricsHandle> {
  if (!option) return NOOP_HANDLE;
  const settings = option === true ? {} : option;
  const prom = await loadPromClient();
  const registry = settings.registry ?? (prom.register as MetricsRegistry);
  const metrics = new PromMetrics(
    prom,
    {
      prefix: settings.prefix ?? DEFAULT_METRICS_PREFIX,
      registry,
      buckets: settings.buckets ?? DEFAULT_LATENCY_BUCKETS,
    },
    sources,
  );
  const restore = timePublishes(sources.broker, metrics.publishDuration);
  return {
    metrics,
    registry,
    release: () => {
      restore();
      metrics.unregister();
    },
  };
}

/** The prom-client majors the metrics are written against. */
export const PROM_CLIENT: OptionalPackage = {
  name: 'prom-client',
  range: '^15',
  majors: [15],
  feature: 'DistributedWsModule: the "metrics" option',
};

async function loadPromClient(): Promise<typeof PromClient> {
  checkOptionalPackage(PROM_CLIENT);
  const loaded = (await import('prom-client')) as typeof PromClient & {
    default?: typeof PromClient;
  };
  return loaded.Counter ? loaded : loaded.default!;
}

/**
 * Times every publish, whoever calls it (the Broadcaster, client publishes, control commands), by
 * shadowing the broker instance's `publish`; the returned function puts the original back.
 * One timer per publish, which already costs a backplane round trip.
 */
function timePublishes(broker: Broker, histogram: PromClient.Histogram<'result'>): () => void {
  const original = broker.publish;
  const own = Object.prototype.hasOwnProperty.call(broker, 'publish');
  const timed = (entry: BrokerEntry): Promise<string> => {
    const end = histogram.startTimer();
    return original.call(broker, entry).then(
      (offset) => {
        end({ result: 'ok' });
        return offset;
      },
      (error: unknown) => {
        end({ result: 'error' });
        throw error;
      },
    );
  };
  broker.publish = timed;
  return () => {
    if (broker.publish !== timed) return;
    if (own) broker.publish = original;
    else delete (broker as Partial<Broker>).publish;
  };
}

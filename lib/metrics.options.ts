import { serveOptionsProblem, type ServeOptions } from './serve.options.js';

/**
 * The part of a `prom-client` `Registry` the library uses. Declared here rather than imported so
 * that apps without metrics compile without `prom-client`; any `Registry` fits.
 */
export interface MetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
  registerMetric(metric: unknown): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

/**
 * Where, and to whom, the running app answers Prometheus scrapes (`path` defaults to
 * `'/metrics'`). Public unless given a `guard` or a `port` of its own.
 */
export type MetricsServeOptions = ServeOptions;

/**
 * The `metrics` option of `DistributedWsModule.forRoot()`. Needs `prom-client` (an optional peer
 * dependency, loaded only when this is set). See docs/operations.md for every metric.
 *
 * @example
 * ```ts
 * DistributedWsModule.forRoot({ broker: 'redis://…', metrics: { serve: { path: '/metrics' } } })
 * ```
 */
export interface MetricsOptions {
  /**
   * Prefix of every metric name.
   * @default 'dws_'
   */
  prefix?: string;
  /**
   * Registry the metrics join. Two apps in one process need a registry (or a prefix) each.
   * @default prom-client's global `register`
   */
  registry?: MetricsRegistry;
  /**
   * Serves the registry (everything in it, not only this library's metrics) at `path`, on the
   * app's HTTP server or on `port`, behind `guard` if given: without either, anyone who reaches
   * the app reads it. Leave it out when the app already exposes the registry.
   * @default undefined (not served)
   */
  serve?: MetricsServeOptions;
  /**
   * Upper bounds, in seconds, of the latency histograms' buckets
   * (`publish_duration_seconds`, `delivery_lag_seconds`).
   * @default [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  buckets?: number[];
}

export const DEFAULT_METRICS_PREFIX = 'dws_';
export const DEFAULT_METRICS_PATH = '/metrics';
export const DEFAULT_LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Checks the option at boot. @returns what is wrong with it, or null. */
export function metricsOptionsProblem(value: unknown): string | null {
  if (value === undefined || value === false || value === true) return null;
  if (typeof value !== 'object' || value === null) return 'must be true, false or an object';
  const { prefix, registry, serve, buckets } = value as Record<string, unknown>;
  if (prefix !== undefined && (typeof prefix !== 'string' || !/^[a-zA-Z_:][\w:]*$/.test(prefix))) {
    return `"prefix" must be a Prometheus name prefix (letters, digits, "_", ":"), got ${String(prefix)}`;
  }
  if (
    registry !== undefined &&
    (typeof registry !== 'object' ||
      registry === null ||
      typeof (registry as MetricsRegistry).metrics !== 'function')
  ) {
    return '"registry" must be a prom-client Registry';
  }
  const serveProblem = serve === undefined ? null : serveOptionsProblem(serve);
  if (serveProblem) return serveProblem;
  if (
    buckets !== undefined &&
    (!Array.isArray(buckets) ||
      buckets.length === 0 ||
      buckets.some((b, i) => typeof b !== 'number' || !(b > 0) || (i > 0 && b <= buckets[i - 1])))
  ) {
    return '"buckets" must be increasing positive numbers of seconds';
  }
  return null;
}

import type * as PromClient from 'prom-client';
import type { Broker, BrokerMessage } from '../broker/broker.interface.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type {
  ConnectionStats,
  DwsMetrics,
  NotRecoveredReason,
  ReceivedFrameKind,
  SentFrameKind,
} from './metrics.interface.js';
import { LagHistogram } from './lag-histogram.js';
import type { MetricsRegistry } from '../metrics.options.js';
import { Tally } from './tally.js';
import { entryTimeMs, type ReaderLag } from './reader-lag.js';

/** What the scrape reads: plain state the runtime keeps anyway. */
export interface MetricSources {
  readonly connections: ConnectionStats;
  readonly broker: Broker;
  readonly lag: ReaderLag;
}

export interface PromMetricsSettings {
  readonly prefix: string;
  readonly registry: MetricsRegistry;
  readonly buckets: number[];
}

const RECEIVED: readonly ReceivedFrameKind[] = [
  'subscribe',
  'unsubscribe',
  'publish',
  'resume',
  'presence',
  'event',
  'invalid',
];
const SENT: readonly (SentFrameKind | 'message')[] = [
  'welcome',
  'message',
  'ack',
  'error',
  'positions',
  'replay',
  'event',
];

/**
 * The metrics as `prom-client` instruments (docs/operations.md lists them). Gauges and the
 * counters of hot paths are read from plain state at scrape time (`collect`); the rest are
 * incremented where rare things happen (errors, resumes, closes).
 */
export class PromMetrics implements DwsMetrics {
  private readonly names: string[] = [];
  private readonly received = new Tally(RECEIVED);
  private readonly sent = new Tally(SENT);
  private readonly errors: PromClient.Counter<'code'>;
  private readonly slowConsumers: PromClient.Counter;
  private readonly replays: PromClient.Counter<'result' | 'reason'>;
  private readonly replayed: PromClient.Counter;
  private readonly deliveryLag: LagHistogram;
  readonly publishDuration: PromClient.Histogram<'result'>;

  /** @throws Error when a metric of the same name is already in the registry. */
  constructor(
    private readonly prom: typeof PromClient,
    private readonly settings: PromMetricsSettings,
    sources: MetricSources,
  ) {
    const { connections, broker, lag } = sources;
    this.gauge('connections', 'WebSocket connections open on this instance.', [], function () {
      this.set(connections.size);
    });
    this.gauge(
      'subscriptions',
      'Subscriptions held by the connections of this instance (implicit personal topics excluded).',
      [],
      function () {
        let total = 0;
        for (const connection of connections.values()) total += connection.filters.size;
        this.set(total);
      },
    );
    this.gauge(
      'broker_up',
      '1 while the backplane is reachable, 0 otherwise.',
      ['backplane'],
      function () {
        const health = broker.health();
        this.reset();
        this.set({ backplane: health.backplane }, health.up ? 1 : 0);
      },
    );
    this.gauge(
      'reader_lag_seconds',
      'Time from the first entry of the latest batch being appended to the backplane to its delivery here.',
      [],
      function () {
        if (lag.lastMs !== null) this.set(lag.lastMs / 1000);
      },
    );
    let deliveries = 0;
    this.counter(
      'deliveries_total',
      'Live messages handed to local connections (one per connection per message).',
      [],
      function () {
        this.inc(connections.deliveries - deliveries);
        deliveries = connections.deliveries;
      },
    );
    const received = this.received;
    this.counter('frames_received_total', 'Client frames served, by kind.', ['kind'], function () {
      received.flushInto(this, 'kind');
    });
    const sent = this.sent;
    this.counter('frames_sent_total', 'Frames sent to clients, by kind.', ['kind'], function () {
      sent.counts.message = connections.deliveries;
      sent.flushInto(this, 'kind');
    });
    this.errors = this.counter('errors_total', 'Error frames sent to clients, by code.', ['code']);
    for (const code of Object.values(ErrorCode)) this.errors.inc({ code }, 0);
    this.slowConsumers = this.counter(
      'slow_consumer_closes_total',
      'Connections closed with 4001 because they did not read fast enough.',
    );
    this.replays = this.counter(
      'replays_total',
      'Resumes answered, by result (and reason when not recovered).',
      ['result', 'reason'],
    );
    this.replays.inc({ result: 'recovered' }, 0);
    this.replayed = this.counter('replayed_messages_total', 'Messages sent by resume replays.');
    this.publishDuration = this.histogram(
      'publish_duration_seconds',
      'Time for the backplane to store a published message, by result (ok or error).',
      ['result'],
    );
    this.deliveryLag = new LagHistogram(
      this.name('delivery_lag_seconds'),
      'Time from a message being appended to the backplane to its delivery on this instance.',
      settings.buckets,
    );
    settings.registry.registerMetric(this.deliveryLag);
  }

  frameReceived(kind: ReceivedFrameKind): void {
    this.received.counts[kind]++;
  }

  framesSent(kind: SentFrameKind, count = 1): void {
    this.sent.counts[kind] += count;
  }

  error(code: string): void {
    this.errors.inc({ code });
    this.sent.counts.error++;
  }

  slowConsumerClosed(): void {
    this.slowConsumers.inc();
  }

  resumed(outcome: 'recovered' | NotRecoveredReason, replayed: number): void {
    if (outcome === 'recovered') this.replays.inc({ result: 'recovered' });
    else this.replays.inc({ result: 'not_recovered', reason: outcome });
    if (replayed > 0) {
      this.replayed.inc(replayed);
      this.sent.counts.replay += replayed;
    }
  }

  delivered(batch: readonly BrokerMessage[], now: number): void {
    for (const message of batch) {
      if (message.control !== undefined) continue;
      const appended = entryTimeMs(message.id);
      if (!Number.isNaN(appended)) this.deliveryLag.observe(Math.max(0, now - appended) / 1000);
    }
  }

  /** Removes this library's metrics from the registry (an app closing; another may follow). */
  unregister(): void {
    for (const name of this.names.splice(0)) this.settings.registry.removeSingleMetric(name);
  }

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

  private gauge<L extends string>(
    suffix: string,
    help: string,
    labelNames: L[],
    collect: (this: PromClient.Gauge<L>) => void,
  ): PromClient.Gauge<L> {
    const registers = [this.settings.registry as PromClient.Registry];
    return new this.prom.Gauge({ name: this.name(suffix), help, labelNames, registers, collect });
  }

  private counter<L extends string = string>(
    suffix: string,
    help: string,
    labelNames: L[] = [],
    collect?: (this: PromClient.Counter<L>) => void,
  ): PromClient.Counter<L> {
    const registers = [this.settings.registry as PromClient.Registry];
    return new this.prom.Counter({ name: this.name(suffix), help, labelNames, registers, collect });
  }

  private histogram<L extends string>(
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
}

import { type Broker, brokerHealth } from '../broker/broker.interface.js';
import type { ConnectionStats, ReceivedFrameKind, SentFrameKind } from './metrics.interface.js';
import type { PromInstruments } from './prom-instruments.js';
import type { ReaderLag } from './reader-lag.js';
import type { Tally } from './tally.js';
import { registerWaveCollectors, type WaveSources } from './wave-collectors.js';

/** What the scrape reads: plain state the runtime keeps anyway. */
export interface MetricSources extends WaveSources {
  readonly connections: ConnectionStats;
  readonly broker: Broker;
  readonly lag: ReaderLag;
}

/** Frame counts kept as plain numbers on the hot path, flushed into counters at scrape time. */
export interface FrameTallies {
  readonly received: Tally<ReceivedFrameKind>;
  readonly sent: Tally<SentFrameKind | 'message'>;
}

/**
 * The gauges, and the counters of hot paths, read from plain state when Prometheus scrapes: the
 * delivery path pays nothing for them.
 */
export function registerScrapeCollectors(
  instruments: PromInstruments,
  sources: MetricSources,
  { received, sent }: FrameTallies,
): void {
  const { connections, broker, lag } = sources;
  instruments.gauge('connections', 'WebSocket connections open on this instance.', [], function () {
    this.set(connections.size);
  });
  instruments.gauge(
    'subscriptions',
    'Subscriptions held by the connections of this instance (implicit personal topics excluded).',
    [],
    function () {
      let total = 0;
      for (const connection of connections.values()) total += connection.filters.size;
      this.set(total);
    },
  );
  instruments.gauge(
    'broker_up',
    '1 while the backplane is reachable, 0 otherwise.',
    ['backplane'],
    function () {
      const health = brokerHealth(broker);
      this.reset();
      this.set({ backplane: health.backplane }, health.up ? 1 : 0);
    },
  );
  instruments.gauge(
    'reader_lag_seconds',
    'Time from the first entry of the latest batch being appended to the backplane to its delivery here.',
    [],
    function () {
      if (lag.lastMs !== null) this.set(lag.lastMs / 1000);
    },
  );
  let deliveries = 0;
  instruments.counter(
    'deliveries_total',
    'Live messages handed to local connections (one per connection per message).',
    [],
    function () {
      this.inc(connections.deliveries - deliveries);
      deliveries = connections.deliveries;
    },
  );
  instruments.counter(
    'frames_received_total',
    'Client frames served, by kind.',
    ['kind'],
    function () {
      received.flushInto(this, 'kind');
    },
  );
  instruments.counter(
    'frames_sent_total',
    'Frames sent to clients, by kind.',
    ['kind'],
    function () {
      sent.counts.message = connections.deliveries;
      sent.flushInto(this, 'kind');
    },
  );
  registerWaveCollectors(instruments, sources);
}

import type * as PromClient from 'prom-client';
import type { BrokerMessage } from '../broker/broker.interface.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type {
  DwsMetrics,
  NotRecoveredReason,
  ReceivedFrameKind,
  SentFrameKind,
} from './metrics.interface.js';
import type { LagHistogram } from './lag-histogram.js';
import { PromInstruments, type PromMetricsSettings } from './prom-instruments.js';
import { entryTimeMs } from './reader-lag.js';
import { type MetricSources, registerScrapeCollectors } from './scrape-collectors.js';
import { Tally } from './tally.js';

export type { MetricSources } from './scrape-collectors.js';
export type { PromMetricsSettings } from './prom-instruments.js';

const RECEIVED: readonly ReceivedFrameKind[] = [
  'subscribe',
  'unsubscribe',
  'publish',
  'resume',
  'presence',
  'refresh',
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
 * counters of hot paths are read from plain state at scrape time (`collect`, in
 * scrape-collectors.ts); the rest are incremented where rare things happen (errors, resumes,
 * closes).
 */
export class PromMetrics implements DwsMetrics {
  private readonly instruments: PromInstruments;
  private readonly received = new Tally(RECEIVED);
  private readonly sent = new Tally(SENT);
  private readonly errors: PromClient.Counter<'code'>;
  private readonly slowConsumers: PromClient.Counter;
  private readonly replays: PromClient.Counter<'result' | 'reason'>;
  private readonly replayed: PromClient.Counter;
  private readonly deliveryLag: LagHistogram;
  readonly publishDuration: PromClient.Histogram<'result'>;

  /** @throws Error when a metric of the same name is already in the registry. */
  constructor(prom: typeof PromClient, settings: PromMetricsSettings, sources: MetricSources) {
    const instruments = (this.instruments = new PromInstruments(prom, settings));
    registerScrapeCollectors(instruments, sources, { received: this.received, sent: this.sent });
    this.errors = instruments.counter('errors_total', 'Error frames sent to clients, by code.', [
      'code',
    ]);
    for (const code of Object.values(ErrorCode)) this.errors.inc({ code }, 0);
    this.slowConsumers = instruments.counter(
      'slow_consumer_closes_total',
      'Connections closed with 4001 because they did not read fast enough.',
    );
    this.replays = instruments.counter(
      'replays_total',
      'Resumes answered, by result (and reason when not recovered).',
      ['result', 'reason'],
    );
    this.replays.inc({ result: 'recovered' }, 0);
    this.replayed = instruments.counter(
      'replayed_messages_total',
      'Messages sent by resume replays.',
    );
    this.publishDuration = instruments.histogram(
      'publish_duration_seconds',
      'Time for the backplane to store a published message, by result (ok or error).',
      ['result'],
    );
    this.deliveryLag = instruments.lagHistogram(
      'delivery_lag_seconds',
      'Time from a message being appended to the backplane to its delivery on this instance.',
    );
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
    this.instruments.unregister();
  }
}

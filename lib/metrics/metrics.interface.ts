import type { BrokerMessage } from '../broker/broker.interface.js';

/** DI token of this instance's {@link ConnectionStats} (the adapter's connection registry). */
export const DWS_CONNECTION_STATS = Symbol('dws:connection-stats');

/** What health and metrics read of this instance's connections, at check or scrape time. */
export interface ConnectionStats {
  /** Open connections. */
  readonly size: number;
  /** Live messages handed to connections, ever. */
  readonly deliveries: number;
  values(): Iterable<{ readonly filters: ReadonlySet<string> }>;
}

/**
 * The stages of a returning client's work that a wave's admission queue serves: an upgrade's
 * `101` and `welcome`, a resume's token check and claim, a claimed resume's take-over, replay
 * and answer.
 */
export type AdmissionStage = 'upgrade' | 'claim' | 'answer';

/** What the metrics read of the admission queue of a wave (issue 18), at scrape time. */
export interface AdmissionStats {
  /** By stage: tasks waiting for a later event-loop turn now, and tasks admitted in all. */
  readonly stats: Readonly<
    Record<AdmissionStage, { readonly waiting: number; readonly admitted: number }>
  >;
}

/** DI token of the {@link DwsMetrics} in use (a no-op unless the `metrics` option is set). */
export const DWS_METRICS = Symbol('dws:metrics');

/** Client frames, by what the server did with them. */
export type ReceivedFrameKind =
  | 'subscribe'
  | 'unsubscribe'
  | 'publish'
  | 'resume'
  | 'presence'
  | 'refresh'
  /** Dispatched to a gateway's `@SubscribeMessage()` handler (or answered "unknown event"). */
  | 'event'
  /** Binary, not JSON, not a frame or nested too deep: answered with an error. */
  | 'invalid';

/**
 * Server frames counted where they are sent. Live `message` frames are not in this list: the
 * connection registry counts them itself (one plain increment) and they are read at scrape time.
 */
export type SentFrameKind =
  | 'welcome'
  | 'ack'
  | 'error'
  | 'positions'
  /** Messages sent by a resume's replay. */
  | 'replay'
  /** A gateway handler's return value sent as is (the client frame had no `id`). */
  | 'event';

/** Why a resume could not recover, as its ack's `reason` says. */
export type NotRecoveredReason = 'positions' | 'epoch' | 'window' | 'limit';

/**
 * What the runtime reports to the metrics. Every caller uses it unconditionally: when metrics are
 * off it is {@link NOOP_METRICS}, whose methods do nothing, so no call site checks a flag.
 * Nothing here runs per delivery per socket; `delivered` runs once per broker batch.
 */
export interface DwsMetrics {
  frameReceived(kind: ReceivedFrameKind): void;
  framesSent(kind: SentFrameKind, count?: number): void;
  /** An `error` frame with this code was sent (also counts one `error` frame sent). */
  error(code: string): void;
  /** A connection was closed with 4001 because it did not keep up. */
  slowConsumerClosed(): void;
  /** A resume was answered; `replayed` messages were sent with it. */
  resumed(outcome: 'recovered' | NotRecoveredReason, replayed: number): void;
  /** A broker batch was delivered to the local connections, at `now` (ms since the epoch). */
  delivered(batch: readonly BrokerMessage[], now: number): void;
}

const nothing = (): void => undefined;

/** The metrics when the `metrics` option is off. */
export const NOOP_METRICS: DwsMetrics = {
  frameReceived: nothing,
  framesSent: nothing,
  error: nothing,
  slowConsumerClosed: nothing,
  resumed: nothing,
  delivered: nothing,
};

import { ReservedEvent, type ResumeAck } from '../protocol/frames.js';
import { ClientErrorCode, DwsClientError, failure, isConnectionLoss } from './client.error.js';
import type { MessageHandler, MessageMeta, Subscription } from './client.types.js';
import { LocalSubscriptions, type PatternEntry } from './local-subscriptions.js';
import type { RequestCallback } from './pending-requests.js';

/** How subscriptions reach the server, and where what no promise carries is reported. */
export interface SubscriptionChannel {
  /** Whether a connection is ready: a frame sent now reaches the server. */
  isReady(): boolean;
  /** Sends a request now or with the next connection (see `PendingRequests.add`). */
  request(event: string, data: unknown, callback: RequestCallback): void;
  /** Emits an `error` event. */
  error(error: DwsClientError): void;
}

/**
 * Keeps the server's subscriptions in step with the local ones: one `subscribe` per pattern
 * while connected, an `unsubscribe` when its last handler leaves, and the outcome of a resume.
 * Patterns added while disconnected go out with the next connection's resume (or fresh session).
 */
export class SubscriptionSync {
  private readonly local = new LocalSubscriptions();

  constructor(private readonly channel: SubscriptionChannel) {}

  /** Adds a handler of a valid `pattern`; see `DistributedWsClient.subscribe`. */
  add(pattern: string, handler: MessageHandler, info?: unknown): Subscription {
    // A wrapper per call: the same function subscribed twice is two registrations.
    const registration: MessageHandler = (payload, meta) => handler(payload, meta);
    const { entry, created } = this.local.add(pattern, registration, info);
    if (created && this.channel.isReady()) this.sendSubscribe(entry);
    const unsubscribe = () => {
      if (this.local.remove(entry, registration) && this.channel.isReady()) {
        this.sendUnsubscribe(pattern);
      }
    };
    return Object.assign(unsubscribe, { ready: entry.ready });
  }

  /** Adds a handler of direct messages; see `DistributedWsClient.onDirect`. */
  addDirect(handler: MessageHandler): () => void {
    return this.local.addDirect((payload, meta) => handler(payload, meta));
  }

  /** The patterns a resume restores. */
  patterns(): string[] {
    return this.local.patterns();
  }

  /** Presence info by pattern, for a resume. */
  info(): Record<string, unknown> {
    return this.local.info();
  }

  /** Subscribes again, on a fresh session, to those of `patterns` that are still wanted. */
  resubscribe(patterns: readonly string[]): void {
    for (const pattern of patterns) {
      const entry = this.local.get(pattern);
      if (entry) this.sendSubscribe(entry);
    }
  }

  /** Settles the subscriptions a `resume` answer restored or refused. */
  restored({ topics, rejected }: ResumeAck): void {
    for (const topic of topics) this.local.get(topic)?.confirm();
    for (const { topic, code, message } of rejected) {
      this.refused(topic, new DwsClientError(code, message), this.local.get(topic));
    }
  }

  /** Delivers a message to its handlers; one that throws is reported as an `error` event. */
  dispatch(payload: unknown, meta: MessageMeta): void {
    this.local.dispatch(payload, meta, (error) =>
      this.channel.error(
        failure(ClientErrorCode.HandlerFailed, `A handler of "${meta.topic}" threw`, error),
      ),
    );
  }

  private sendSubscribe(entry: PatternEntry): void {
    const data =
      entry.info === undefined
        ? { topic: entry.pattern }
        : { topic: entry.pattern, info: entry.info };
    this.channel.request(ReservedEvent.Subscribe, data, (error) => {
      if (!error) return entry.confirm();
      // The next connection's resume carries the pattern again.
      if (error.code === ClientErrorCode.Disconnected) return;
      // A late answer may still come after a timeout: keep the pattern, the next resume has it.
      this.refused(entry.pattern, error, entry, error.code !== ClientErrorCode.Timeout);
    });
  }

  private sendUnsubscribe(pattern: string): void {
    this.channel.request(ReservedEvent.Unsubscribe, { topic: pattern }, (error) => {
      if (error && !isConnectionLoss(error)) this.channel.error(error);
    });
  }

  /** A subscription failed: reject its `ready`, emit `error` and (unless told not to) forget the pattern. */
  private refused(
    pattern: string,
    cause: DwsClientError,
    entry: PatternEntry | undefined,
    forget = true,
  ): void {
    if (entry && forget) this.local.drop(entry);
    // Server refusals name the pattern already; timeouts and the like do not.
    const message = cause.message.includes(`"${pattern}"`)
      ? cause.message
      : `Subscription to "${pattern}" failed: ${cause.message}`;
    const error = new DwsClientError(cause.code, message, { ...cause.details, topic: pattern });
    entry?.fail(error);
    this.channel.error(error);
  }
}

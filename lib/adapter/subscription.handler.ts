import { checkPattern, type TopicPolicy } from '../explorer/topic-policy.js';
import type { RuntimeOptions } from '../distributed-ws.config.js';
import type { PresenceTracker } from '../presence/presence.tracker.js';
import { encodeAck } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClientFrame } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { Connection } from './connection.js';

/**
 * `subscribe` and `unsubscribe` from clients: the pattern, the subscription limit, the topic
 * policy, then the registry and presence. Each resolves with the `ack` frame or rejects with
 * what `errorFrameFor` answers.
 */
export class SubscriptionHandler {
  constructor(
    private readonly connections: ConnectionRegistry,
    private readonly runtime: RuntimeOptions,
    private readonly policy: TopicPolicy,
    private readonly presenceTracker: PresenceTracker,
  ) {}

  async subscribe(connection: Connection, frame: ClientFrame): Promise<string> {
    const filter = this.filterOf(frame);
    const info = this.presenceTracker.admitInfo(
      connection,
      filter,
      (frame.data as { info?: unknown }).info,
    );
    if (
      !connection.filters.has(filter) &&
      connection.filters.size >= this.runtime.options.maxSubscriptions
    ) {
      throw new ProtocolError(
        ErrorCode.TooManySubscriptions,
        `A connection may hold at most ${this.runtime.options.maxSubscriptions} subscriptions.`,
      );
    }
    const refusal = await this.policy.checkSubscribe(filter, connection, false);
    if (refusal) throw refusal;
    const added = this.connections.subscribe(connection, filter);
    const present = await this.presenceTracker.joined(connection, filter, info);
    return encodeAck(frame.id, {
      topic: filter,
      subscribed: true,
      alreadySubscribed: !added,
      ...(present ? { presence: true } : {}),
    });
  }

  async unsubscribe(connection: Connection, frame: ClientFrame): Promise<string> {
    const filter = this.filterOf(frame);
    const removed = this.connections.unsubscribe(connection, filter);
    if (removed) await this.presenceTracker.left(connection, filter);
    return encodeAck(frame.id, { topic: filter, subscribed: false, wasSubscribed: removed });
  }

  /** Validates `data.topic` of subscribe/unsubscribe as a pattern. */
  private filterOf(frame: ClientFrame): string {
    const data = frame.data as { topic?: unknown } | undefined;
    if (!data || typeof data !== 'object') {
      throw new ProtocolError(ErrorCode.BadRequest, `${frame.event} needs data {"topic": string}.`);
    }
    const filter = checkPattern(data.topic, this.runtime.options.maxTopicLength);
    if (filter instanceof ProtocolError) throw filter;
    return filter;
  }
}

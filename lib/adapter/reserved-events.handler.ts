import { Inject, Injectable } from '@nestjs/common';
import type { Broker } from '../broker/broker.interface.js';
import { DWS_BROKER } from '../distributed-ws.constants.js';
import { RuntimeOptions } from '../distributed-ws.config.js';
import { TopicRegistry } from '../explorer/topic-registry.js';
import { checkPattern, TopicPolicy } from '../explorer/topic-policy.js';
import { PresenceTracker } from '../presence/presence.tracker.js';
import type { ClientFrame } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import { ConnectionRegistry } from './connection-registry.js';
import type { Connection } from './connection.js';
import { PresenceRequestHandler } from './presence-request.handler.js';
import { PublishHandler } from './publish.handler.js';
import { SubscriptionHandler } from './subscription.handler.js';

/**
 * The reserved events clients send (`subscribe`, `unsubscribe`, `publish`, `presence`), each
 * handed to the handler of its kind; all of them decide with one `TopicPolicy`. Each method
 * resolves with the `ack` frame or rejects with what `errorFrameFor` answers.
 */
@Injectable()
export class ReservedEventsHandler {
  private readonly policy: TopicPolicy;
  private readonly subscriptions: SubscriptionHandler;
  private readonly publishes: PublishHandler;
  private readonly presenceRequests: PresenceRequestHandler;

  constructor(
    connections: ConnectionRegistry,
    topics: TopicRegistry,
    runtime: RuntimeOptions,
    @Inject(DWS_BROKER) broker: Broker,
    presenceTracker: PresenceTracker,
  ) {
    this.policy = new TopicPolicy(topics, runtime.options);
    this.subscriptions = new SubscriptionHandler(
      connections,
      runtime,
      this.policy,
      presenceTracker,
    );
    this.publishes = new PublishHandler(this.policy, broker);
    this.presenceRequests = new PresenceRequestHandler(this.policy, presenceTracker);
  }

  subscribe(connection: Connection, frame: ClientFrame): Promise<string> {
    return this.subscriptions.subscribe(connection, frame);
  }

  unsubscribe(connection: Connection, frame: ClientFrame): Promise<string> {
    return this.subscriptions.unsubscribe(connection, frame);
  }

  publish(connection: Connection, frame: ClientFrame): Promise<string> {
    return this.publishes.publish(connection, frame);
  }

  /** `presence`: who is subscribed to an exact topic, asked by a client allowed to subscribe to it. */
  presence(connection: Connection, frame: ClientFrame): Promise<string> {
    return this.presenceRequests.presence(connection, frame);
  }

  /**
   * Checks that a valid pattern is declared, subscribable and allowed by every hook of every
   * declaration it can match (`TopicPolicy.checkSubscribe`); `resume` restores subscriptions
   * with it.
   * @throws ProtocolError (or whatever a hook throws)
   */
  async authorizeSubscription(
    connection: Connection,
    filter: string,
    resuming: boolean,
  ): Promise<void> {
    const refusal = await this.policy.checkSubscribe(filter, connection, resuming);
    if (refusal) throw refusal;
  }
}

/** @throws ProtocolError for an invalid or reserved pattern (`checkPattern`). */
export function checkFilter(topic: unknown, maxLength: number): string {
  const filter = checkPattern(topic, maxLength);
  if (filter instanceof ProtocolError) throw filter;
  return filter;
}

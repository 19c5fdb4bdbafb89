import { Inject, Injectable } from '@nestjs/common';
import type { Broker } from '../broker/broker.interface.js';
import { DWS_BROKER } from '../distributed-ws.constants.js';
import { RuntimeOptions } from '../distributed-ws.config.js';
import { TopicPolicy } from '../explorer/topic-policy.js';
import { PresenceTracker } from '../presence/presence.tracker.js';
import type { ClientFrame } from '../protocol/frames.js';
import { ConnectionRegistry } from './connection-registry.js';
import type { Connection } from './connection.js';
import { CredentialClock } from './credential-clock.js';
import { PresenceRequestHandler } from './presence-request.handler.js';
import { PublishHandler, type PublishInFlight } from './publish.handler.js';
import { RefreshHandler } from './refresh.handler.js';
import { SubscriptionHandler } from './subscription.handler.js';

/**
 * The reserved events clients send (`subscribe`, `unsubscribe`, `publish`, `presence`,
 * `refresh`), each handed to the handler of its kind; the topic ones decide with one
 * `TopicPolicy`. Each method resolves with the `ack` frame or rejects with what
 * `errorFrameFor` answers.
 */
@Injectable()
export class ReservedEventsHandler {
  private readonly subscriptions: SubscriptionHandler;
  private readonly publishes: PublishHandler;
  private readonly presenceRequests: PresenceRequestHandler;
  private readonly refreshes: RefreshHandler;
  /** The countdowns of expiring credentials: the adapter starts one when it opens a connection. */
  readonly credentials = new CredentialClock();

  constructor(
    connections: ConnectionRegistry,
    policy: TopicPolicy,
    runtime: RuntimeOptions,
    @Inject(DWS_BROKER) broker: Broker,
    presenceTracker: PresenceTracker,
  ) {
    this.subscriptions = new SubscriptionHandler(connections, runtime, policy, presenceTracker);
    this.publishes = new PublishHandler(policy, broker);
    this.presenceRequests = new PresenceRequestHandler(policy, presenceTracker);
    this.refreshes = new RefreshHandler(runtime.options.authenticate, this.credentials);
  }

  subscribe(connection: Connection, frame: ClientFrame): Promise<string> {
    return this.subscriptions.subscribe(connection, frame);
  }

  unsubscribe(connection: Connection, frame: ClientFrame): Promise<string> {
    return this.subscriptions.unsubscribe(connection, frame);
  }

  publish(connection: Connection, frame: ClientFrame): Promise<PublishInFlight> {
    return this.publishes.publish(connection, frame);
  }

  /** `presence`: who is subscribed to an exact topic, asked by a client allowed to subscribe to it. */
  presence(connection: Connection, frame: ClientFrame): Promise<string> {
    return this.presenceRequests.presence(connection, frame);
  }

  /** `refresh`: a new token for the connection's expiring credentials, same user. */
  refresh(connection: Connection, frame: ClientFrame): Promise<string> {
    return this.refreshes.refresh(connection, frame);
  }
}

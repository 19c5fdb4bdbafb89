import { Inject, Injectable } from '@nestjs/common';
import type { Broker } from '../broker/broker.interface.js';
import { BrokerUnavailableError } from '../errors/broker-unavailable.error.js';
import { DWS_BROKER } from '../distributed-ws.constants.js';
import { paramsFixedBy, TopicRegistry } from '../explorer/topic-registry.js';
import { encodeAck } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClientFrame } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import {
  isReservedTopic,
  validateTopicFilter,
  validateTopicName,
} from '../topics/topic-validation.js';
import { PresenceTracker } from '../presence/presence.tracker.js';
import { ConnectionRegistry } from './connection-registry.js';
import type { Connection } from './connection.js';
import { RuntimeOptions } from '../distributed-ws.config.js';

/**
 * `subscribe`, `unsubscribe` and `publish` from clients: validation, authorization, hooks.
 * Each method resolves with the `ack` frame or rejects with what `errorFrameFor` answers.
 */
@Injectable()
export class ReservedEventsHandler {
  constructor(
    private readonly connections: ConnectionRegistry,
    private readonly topics: TopicRegistry,
    private readonly runtime: RuntimeOptions,
    @Inject(DWS_BROKER) private readonly broker: Broker,
    private readonly presenceTracker: PresenceTracker,
  ) {}

  async subscribe(connection: Connection, frame: ClientFrame): Promise<string> {
    const filter = this.filterOf(frame);
    const info = this.presenceTracker.checkInfo((frame.data as { info?: unknown }).info);
    if (
      !connection.filters.has(filter) &&
      connection.filters.size >= this.runtime.options.maxSubscriptions
    ) {
      throw new ProtocolError(
        ErrorCode.TooManySubscriptions,
        `A connection may hold at most ${this.runtime.options.maxSubscriptions} subscriptions.`,
      );
    }
    await this.authorizeSubscription(connection, filter, false);
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

  async publish(connection: Connection, frame: ClientFrame): Promise<string> {
    const data = frame.data as { topic?: unknown; payload?: unknown } | undefined;
    if (!data || typeof data !== 'object' || !('payload' in data)) {
      throw new ProtocolError(
        ErrorCode.BadRequest,
        'publish needs data {"topic": string, "payload": any}.',
      );
    }
    const topic = data.topic;
    const invalid = validateTopicName(topic, this.runtime.options.maxTopicLength);
    if (invalid) throw new ProtocolError(ErrorCode.InvalidTopic, invalid);
    const name = topic as string;
    if (isReservedTopic(name)) {
      throw new ProtocolError(
        ErrorCode.ReservedTopic,
        `Topic "${name}" is reserved to the server.`,
      );
    }
    const resolved = this.topics.resolve(name);
    if (!resolved) {
      throw new ProtocolError(
        ErrorCode.UnknownTopic,
        `Topic "${name}" is not declared by any gateway.`,
      );
    }
    const { definition, params } = resolved;
    if (!definition.clientsMayPublish) {
      throw new ProtocolError(
        ErrorCode.PublishNotAllowed,
        `Clients may not publish to "${definition.template.source}".`,
      );
    }
    const paramError = definition.validateParams(params);
    if (paramError) throw new ProtocolError(ErrorCode.InvalidTopic, paramError);
    const payloadError = definition.validatePayload(data.payload);
    if (payloadError) throw new ProtocolError(ErrorCode.InvalidPayload, payloadError);

    let payload = data.payload;
    for (const hook of definition.publishHooks) {
      const result = await hook({
        topic: name,
        template: definition.template.source,
        params,
        payload,
        connectionId: connection.id,
        principal: connection.principal,
        client: connection.ws,
      });
      if (result === false) {
        throw new ProtocolError(ErrorCode.Forbidden, `Publishing to "${name}" was refused.`);
      }
      if (result !== undefined && result !== true) payload = result;
    }
    let offset: string;
    try {
      offset = await this.broker.publish({ topic: name, payload: JSON.stringify(payload) });
    } catch (error) {
      if (error instanceof BrokerUnavailableError) {
        throw new ProtocolError(
          ErrorCode.BrokerUnavailable,
          'The message could not be published: the backplane is unavailable. Retry later.',
        );
      }
      throw error;
    }
    return encodeAck(frame.id, { topic: name, offset });
  }

  /** `presence`: who is subscribed to an exact topic, asked by a client allowed to subscribe to it. */
  async presence(connection: Connection, frame: ClientFrame): Promise<string> {
    const data = frame.data as { topic?: unknown } | undefined;
    if (!data || typeof data !== 'object') {
      throw new ProtocolError(ErrorCode.BadRequest, 'presence needs data {"topic": string}.');
    }
    const refusal = this.presenceTracker.refusal(data.topic);
    if (refusal) throw refusal;
    const topic = data.topic as string;
    await this.authorizeSubscription(connection, topic, false);
    const members = await this.presenceTracker.members(topic).catch((error: unknown) => {
      if (!(error instanceof BrokerUnavailableError)) throw error;
      throw new ProtocolError(
        ErrorCode.BrokerUnavailable,
        'Presence could not be read: the backplane is unavailable. Retry later.',
      );
    });
    return encodeAck(frame.id, { topic, members });
  }

  /**
   * Checks that a pattern is valid, public, declared, subscribable and allowed by every hook
   * of every declaration it can match.
   * @throws ProtocolError (or whatever a hook throws)
   */
  async authorizeSubscription(
    connection: Connection,
    filter: string,
    resuming: boolean,
  ): Promise<void> {
    const definitions = this.topics.overlapping(filter);
    if (definitions.length === 0) {
      throw new ProtocolError(
        ErrorCode.UnknownTopic,
        `Pattern "${filter}" matches no topic declared by a gateway.`,
      );
    }
    const denied = definitions.find((d) => !d.clientsMaySubscribe);
    if (denied) {
      throw new ProtocolError(
        ErrorCode.Forbidden,
        `Clients may not subscribe to "${denied.template.source}".`,
      );
    }
    for (const definition of definitions) {
      const params = paramsFixedBy(definition.template, filter);
      const paramError = definition.validateParams(params);
      if (paramError) throw new ProtocolError(ErrorCode.InvalidTopic, paramError);
      for (const hook of definition.subscribeHooks) {
        const allowed = await hook({
          topic: filter,
          template: definition.template.source,
          params,
          connectionId: connection.id,
          principal: connection.principal,
          resuming,
          client: connection.ws,
        });
        if (allowed === false) {
          throw new ProtocolError(ErrorCode.Forbidden, `Subscription to "${filter}" was denied.`);
        }
      }
    }
  }

  /** Validates `data.topic` of subscribe/unsubscribe as a pattern. */
  private filterOf(frame: ClientFrame): string {
    const data = frame.data as { topic?: unknown } | undefined;
    if (!data || typeof data !== 'object') {
      throw new ProtocolError(ErrorCode.BadRequest, `${frame.event} needs data {"topic": string}.`);
    }
    return checkFilter(data.topic, this.runtime.options.maxTopicLength);
  }
}

/** @throws ProtocolError for an invalid or reserved pattern. */
export function checkFilter(topic: unknown, maxLength: number): string {
  const invalid = validateTopicFilter(topic, maxLength);
  if (invalid) throw new ProtocolError(ErrorCode.InvalidTopic, invalid);
  const filter = topic as string;
  if (isReservedTopic(filter)) {
    throw new ProtocolError(
      ErrorCode.ReservedTopic,
      `Topic "${filter}" is reserved to the server.`,
    );
  }
  return filter;
}

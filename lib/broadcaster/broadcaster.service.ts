import { Inject, Injectable } from '@nestjs/common';
import { ConnectionRegistry } from '../adapter/connection-registry.js';
import { userTopic, connectionTopic, BROADCAST_TOPIC } from '../topics/implicit-topics.js';
import { encodeCommand } from '../instance-commands/instance-command.js';
import type { Broker } from '../broker/broker.interface.js';
import { DWS_BROKER } from '../distributed-ws.constants.js';
import { TopicPolicy } from '../explorer/topic-policy.js';
import { PresenceTracker } from '../presence/presence.tracker.js';
import type { PresenceMember } from '../protocol/frames.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import { BroadcastError } from '../errors/broadcast.error.js';

/**
 * Sends to clients on every instance, from anywhere in the app (controllers, jobs, gateways).
 * Every method resolves once the backplane stored the message — the offset it returns is what
 * clients will see — and rejects with `BrokerUnavailableError` when the backplane can't take it.
 *
 * @example
 * ```ts
 * constructor(private readonly broadcaster: Broadcaster) {}
 * await this.broadcaster.publish('chat/rooms/42', { text: 'hi' });
 * await this.broadcaster.sendToUser('alice', { kind: 'mention' });
 * ```
 */
@Injectable()
export class Broadcaster {
  constructor(
    @Inject(DWS_BROKER) private readonly broker: Broker,
    private readonly policy: TopicPolicy,
    private readonly connections: ConnectionRegistry,
    private readonly presenceTracker: PresenceTracker,
  ) {}

  /**
   * Publishes to a topic: every subscription matching it, on every instance, receives it. The
   * server's rules of the topic policy apply: any valid, non-reserved topic, even one clients may
   * not publish to or no gateway declares; only a declared schema is checked, and `@OnPublish`
   * hooks do not run.
   * @throws BroadcastError for an invalid or reserved topic, or a payload the topic's schema refuses.
   */
  async publish(topic: string, payload: unknown): Promise<string> {
    const check = this.policy.checkPublish(topic, payload, 'server');
    if (check instanceof ProtocolError) throw new BroadcastError(check.message);
    return this.broker.publish({ topic, payload: serialize(payload) });
  }

  /** Sends to every connection of every instance (topic `$dws/broadcast`). */
  async broadcast(payload: unknown): Promise<string> {
    return this.broker.publish({ topic: BROADCAST_TOPIC, payload: serialize(payload) });
  }

  /** Sends to one connection, or to each of a list, wherever they are connected (topic `$dws/conn/<id>`). */
  async sendToConnection(ids: string | readonly string[], payload: unknown): Promise<string[]> {
    const json = serialize(payload);
    const list = typeof ids === 'string' ? [ids] : ids;
    return Promise.all(
      list.map((id) => this.broker.publish({ topic: connectionTopic(id), payload: json })),
    );
  }

  /** Sends to every connection of an authenticated user (topic `$dws/user/<userId>`). */
  async sendToUser(userId: string, payload: unknown): Promise<string> {
    return this.broker.publish({ topic: userTopic(userId), payload: serialize(payload) });
  }

  /**
   * Closes a connection wherever it is, with a close code the client sees.
   * @param code 1000 or 3000–4999. @default 1000
   */
  async disconnect(
    connectionId: string,
    code: number = CloseCode.Normal,
    reason = '',
  ): Promise<void> {
    await this.closeOn(connectionTopic(connectionId), code, reason);
  }

  /** Closes every connection of a user, on every instance. @default code 1000 */
  async disconnectUser(
    userId: string,
    code: number = CloseCode.Normal,
    reason = '',
  ): Promise<void> {
    await this.closeOn(userTopic(userId), code, reason);
  }

  /** A close command for every socket holding `topic`, carried by the backplane. */
  private async closeOn(topic: string, code: number, reason: string): Promise<void> {
    await this.broker.publish({
      topic,
      payload: 'null',
      control: encodeCommand({ op: 'close', code: checkCode(code), reason: reason.slice(0, 120) }),
    });
  }

  /**
   * Who is subscribed to `topic` on every instance (a topic declared with `@Topic({ presence })`),
   * ordered by connection id. A dead instance's connections are left out once `presenceTtlMs`
   * has passed since it last renewed its liveness.
   * @throws BroadcastError for a topic that is invalid, reserved, undeclared or without presence.
   * @throws BrokerUnavailableError when the backplane cannot be read.
   * @example
   * const members = await broadcaster.presence('chat/rooms/42');
   * // [{ connectionId: 'q2V9cT0kR7s1mB3x', userId: 'alice', info: { name: 'Alice' } }]
   */
  async presence(topic: string): Promise<PresenceMember[]> {
    const refusal = this.presenceTracker.refusal(topic);
    if (refusal) throw new BroadcastError(refusal.message);
    return this.presenceTracker.members(topic);
  }

  /** Connections open on this instance. */
  get localConnections(): number {
    return this.connections.size;
  }
}

function serialize(payload: unknown): string {
  const json = JSON.stringify(payload);
  if (json === undefined)
    throw new BroadcastError('Payload must be JSON-serializable (got undefined or a function).');
  return json;
}

function checkCode(code: number): number {
  if (code !== 1000 && !(code >= 3000 && code <= 4999)) {
    throw new BroadcastError(
      `Close code ${code} cannot be sent by an application: use 1000 or 3000–4999.`,
    );
  }
  return code;
}

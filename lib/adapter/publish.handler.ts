import type { Broker } from '../broker/broker.interface.js';
import type { TopicPolicy } from '../explorer/topic-policy.js';
import { encodeAck } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClientFrame } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import { orBrokerUnavailable } from './broker-unavailable.js';
import type { Connection } from './connection.js';

/** A publish handed to the broker: its `ack` frame comes once the broker confirms it. */
export interface PublishInFlight {
  /** Resolves with the `ack` frame carrying the offset, or rejects with what `errorFrameFor` answers. */
  readonly ack: Promise<string>;
}

/**
 * `publish` from clients: the frame's shape, the topic policy (client rules and hooks), then the
 * broker. The rate limit is checked earlier, on arrival (`frame-admission.ts`).
 */
export class PublishHandler {
  constructor(
    private readonly policy: TopicPolicy,
    private readonly broker: Broker,
  ) {}

  /**
   * Checks the publish and hands it to the broker.
   * @returns once the broker has it, in the connection's order: the broker keeps that order
   *   within a shard, so the connection's next frame need not wait for the confirmation (a
   *   backplane node that stalls then delays the publishes of its own shards only).
   * @throws what `errorFrameFor` answers, for a publish refused before the broker.
   */
  async publish(connection: Connection, frame: ClientFrame): Promise<PublishInFlight> {
    const data = frame.data as { topic?: unknown; payload?: unknown } | undefined;
    if (!data || typeof data !== 'object' || !('payload' in data)) {
      throw new ProtocolError(
        ErrorCode.BadRequest,
        'publish needs data {"topic": string, "payload": any}.',
      );
    }
    const check = this.policy.checkPublish(data.topic, data.payload, 'client');
    if (check instanceof ProtocolError) throw check;
    const accepted = await this.policy.runPublishHooks(check, connection);
    if (accepted instanceof ProtocolError) throw accepted;
    const topic = check.topic;
    const published = orBrokerUnavailable('The message could not be published', () =>
      this.broker.publish({ topic, payload: JSON.stringify(accepted.payload) }),
    );
    return { ack: published.then((offset) => encodeAck(frame.id, { topic, offset })) };
  }
}

import type { Broker } from '../broker/broker.interface.js';
import type { TopicPolicy } from '../explorer/topic-policy.js';
import { encodeAck } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClientFrame } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import { orBrokerUnavailable } from './broker-unavailable.js';
import type { Connection } from './connection.js';

/**
 * `publish` from clients: the frame's shape, the topic policy (client rules and hooks), then the
 * broker. Resolves with the `ack` frame carrying the offset, or rejects with what
 * `errorFrameFor` answers. The rate limit is checked earlier, on arrival (`frame-admission.ts`).
 */
export class PublishHandler {
  constructor(
    private readonly policy: TopicPolicy,
    private readonly broker: Broker,
  ) {}

  async publish(connection: Connection, frame: ClientFrame): Promise<string> {
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
    const offset = await orBrokerUnavailable('The message could not be published', () =>
      this.broker.publish({ topic, payload: JSON.stringify(accepted.payload) }),
    );
    return encodeAck(frame.id, { topic, offset });
  }
}

import type { TopicPolicy } from '../explorer/topic-policy.js';
import type { PresenceTracker } from '../presence/presence.tracker.js';
import { encodeAck } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClientFrame } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import { orBrokerUnavailable } from './broker-unavailable.js';
import type { Connection } from './connection.js';

/**
 * `presence` from clients: who is subscribed to an exact topic, asked by a client the topic
 * policy would let subscribe to it. Resolves with the `ack` frame listing the members, at most
 * `maxPresenceAnswerMembers` of them (`truncated` and `total` past it).
 */
export class PresenceRequestHandler {
  constructor(
    private readonly policy: TopicPolicy,
    private readonly presenceTracker: PresenceTracker,
  ) {}

  async presence(connection: Connection, frame: ClientFrame): Promise<string> {
    const data = frame.data as { topic?: unknown } | undefined;
    if (!data || typeof data !== 'object') {
      throw new ProtocolError(ErrorCode.BadRequest, 'presence needs data {"topic": string}.');
    }
    const refusal = this.presenceTracker.refusal(data.topic);
    if (refusal) throw refusal;
    const topic = data.topic as string;
    const denied = await this.policy.checkSubscribe(topic, connection, false);
    if (denied) throw denied;
    const answer = await orBrokerUnavailable('Presence could not be read', () =>
      this.presenceTracker.answer(topic),
    );
    return encodeAck(frame.id, { topic, ...answer });
  }
}

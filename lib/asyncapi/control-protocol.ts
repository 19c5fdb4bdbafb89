import type { ResumeAckAsDocumented } from '../protocol/ack.schemas.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { frameSchema } from '../protocol/frame.schemas.js';
import {
  ReservedEvent,
  type ErrorData,
  type MessageData,
  type PositionsData,
  type PresenceAck,
  type PresenceEventData,
  type PresenceMember,
  type PresenceRequestData,
  type PublishAck,
  type PublishData,
  type ResumeData,
  type SubscribeAck,
  type SubscribeData,
  type UnsubscribeAck,
  type UnsubscribeData,
  type WelcomeData,
} from '../protocol/frames.js';
import { serverFrameDataSchemas } from '../protocol/server-frame.schemas.js';
import { TopicTemplate } from '../topics/topic-template.js';
import type { TopicInput } from './asyncapi.interface.js';
import { ack, type ControlMessage, message, push, request } from './control-message.js';
import { errorCodeTable } from './protocol-text.js';
import { copy, exampleTopic } from './topic-channels.js';

// The schemas come from protocol/, next to the frame types they are checked against; this file
// adds what only the document needs: titles, summaries, examples (typed with the same frame
// types) and the order a client meets the frames in.

/** Topics used in the examples, taken from the app's own declarations when it has some. */
export interface ProtocolExamples {
  /** A pattern a client may subscribe to: `chat/rooms/+`. */
  pattern: string;
  /** A topic a client may publish to, and a payload for it. */
  topic: string;
  payload: unknown;
  /** An exact topic that tracks presence (or a stand-in when none does). */
  presenceTopic: string;
}

/** Examples from the app's own topics, with stand-ins for what it does not declare. */
export function protocolExamples(topics: TopicInput[]): ProtocolExamples {
  // A template with parameters shows a wildcard pattern, the more telling example.
  const subscribable =
    topics.find((t) => t.clientsMaySubscribe && t.template.includes('{')) ??
    topics.find((t) => t.clientsMaySubscribe);
  const publishable = topics.find((t) => t.clientsMayPublish) ?? subscribable;
  const present = topics.find((t) => t.presence);
  return {
    pattern: subscribable ? TopicTemplate.parse(subscribable.template).filter : 'news/#',
    topic: publishable ? exampleTopic(publishable) : 'news/today',
    payload: copy(publishable?.examples?.[0] ?? {}),
    presenceTopic: present ? exampleTopic(present) : 'chat/rooms/42',
  };
}

const SAMPLE_OFFSET = '3:k2Jx9q:1718000000000-0';
const SAMPLE_POSITIONS = ['0:k2Jx9q:1718000000000-0', '1:k2Jx9q:1717999990000-2'];
const SAMPLE_TOKEN = 'eyJzIjoiYzhacTFtIiwidSI6bnVsbH0.Qm9vZ3VzIHNpZ25hdHVyZQ';
const SAMPLE_MEMBER: PresenceMember = {
  connectionId: 'c8Zq1m',
  userId: 'ada',
  info: { name: 'Ada' },
};

/**
 * The reserved events, as messages of the connection channel, in the order a client meets
 * them. Each `ack` variant is its own message so that operations can name their reply.
 */
export function controlMessages(ex: ProtocolExamples): ControlMessage[] {
  const { pattern, topic, payload, presenceTopic } = ex;
  return [
    push('welcome', 'First frame of every connection.', {
      connectionId: 'c8Zq1m',
      sessionToken: SAMPLE_TOKEN,
      positions: SAMPLE_POSITIONS,
      heartbeat: 25000,
      shards: 2,
    } satisfies WelcomeData),
    request('subscribe', 1, 'Starts receiving a topic or pattern.', {
      topic: pattern,
    } satisfies SubscribeData),
    ack('subscribe', 1, 'The subscription is active.', {
      topic: pattern,
      subscribed: true,
      alreadySubscribed: false,
    } satisfies SubscribeAck),
    request('unsubscribe', 2, 'Stops receiving a pattern subscribed before.', {
      topic: pattern,
    } satisfies UnsubscribeData),
    ack('unsubscribe', 2, 'The subscription is gone.', {
      topic: pattern,
      subscribed: false,
      wasSubscribed: true,
    } satisfies UnsubscribeAck),
    request('publish', 3, 'Publishes to a topic that allows client publishes.', {
      topic,
      payload,
    } satisfies PublishData),
    ack('publish', 3, 'The backplane stored the message; every subscriber will receive it.', {
      topic,
      offset: SAMPLE_OFFSET,
    } satisfies PublishAck),
    request(
      'resume',
      4,
      'Restores a session on a new connection, on any instance.',
      { token: SAMPLE_TOKEN, topics: [pattern], positions: SAMPLE_POSITIONS } satisfies ResumeData,
      'Send it first on the new connection. The subscriptions are authorized again; missed messages are replayed right after the `ack` when `recovered` is true.',
    ),
    ack('resume', 4, 'The session is restored; replayed messages follow, then a positions frame.', {
      recovered: true,
      connectionId: 'c8Zq1m',
      sessionToken: SAMPLE_TOKEN,
      topics: [pattern],
      rejected: [],
      replayed: 1,
      positions: SAMPLE_POSITIONS,
    } satisfies ResumeAckAsDocumented),
    request(
      'presence',
      5,
      'Asks who is subscribed to a topic that tracks presence.',
      { topic: presenceTopic } satisfies PresenceRequestData,
      "Allowed to a client the topic's subscribe hooks allow. A topic without presence is refused with `DWS_ERR_PRESENCE_DISABLED`.",
    ),
    ack(
      'presence',
      5,
      'Every connection subscribed to the topic (exact subscriptions), on every instance.',
      { topic: presenceTopic, members: [SAMPLE_MEMBER] } satisfies PresenceAck,
    ),
    push('message', 'A message delivered on a subscribed topic (or a direct one).', {
      topic,
      offset: SAMPLE_OFFSET,
      payload,
    } satisfies MessageData),
    presenceEvent(presenceTopic),
    push(
      'positions',
      'The current position of every shard, sent with each heartbeat and after a resume.',
      { positions: SAMPLE_POSITIONS } satisfies PositionsData,
      'Keep them: resuming from recent positions stays within the retention window even when your topics were quiet.',
    ),
    // Sent by the server, yet with the `id` of the frame it refuses.
    message(
      ReservedEvent.Error,
      ReservedEvent.Error,
      "A frame could not be handled; its id is the offending frame's when it had one.",
      frameSchema(ReservedEvent.Error, serverFrameDataSchemas.error, 'optional'),
      {
        event: ReservedEvent.Error,
        id: 3,
        data: {
          code: ErrorCode.InvalidPayload,
          message: 'payload is missing required property "text".',
        } satisfies ErrorData,
      },
      errorCodeTable(),
    ),
  ];
}

/** The `presence` frame the server pushes when a connection joins or leaves a topic. */
function presenceEvent(topic: string): ControlMessage {
  const data: PresenceEventData = { topic, action: 'join', member: SAMPLE_MEMBER };
  return message(
    'presenceEvent',
    'presence (join/leave)',
    'A connection joined or left a subscribed topic that announces it.',
    frameSchema(ReservedEvent.Presence, serverFrameDataSchemas.presenceEvent, 'none'),
    { event: ReservedEvent.Presence, data },
    "Sent with the topic's messages, in order, to every subscriber of the topic, when its declaration sets `presence: { joinLeave: true }`. Not replayed by `resume`: ask `presence` again after reconnecting.",
  );
}

import {
  USER_TOPIC_PREFIX,
  CONNECTION_TOPIC_PREFIX,
  BROADCAST_TOPIC,
} from '../topics/implicit-topics.js';
import { copy, ref, WS_BINDING } from './topic-channels.js';

type Json = Record<string, unknown>;

/** Key of the message of every server-only topic. */
export const DIRECT_MESSAGE = 'directMessage';

/** Server-only topics every connection receives: broadcast and direct messages. */
export const RESERVED_TOPICS = [
  {
    key: 'broadcast',
    address: BROADCAST_TOPIC,
    summary: 'Messages for every connection (Broadcaster.broadcast).',
    operation: 'sendBroadcast',
  },
  {
    key: 'connectionInbox',
    address: `${CONNECTION_TOPIC_PREFIX}{connectionId}`,
    parameter: { name: 'connectionId', description: 'The `connectionId` of the `welcome`.' },
    summary: 'Messages for one connection (Broadcaster.sendToConnection).',
    operation: 'sendToConnection',
  },
  {
    key: 'userInbox',
    address: `${USER_TOPIC_PREFIX}{userId}`,
    parameter: { name: 'userId', description: 'The id of the authenticated user.' },
    summary: 'Messages for every connection of one authenticated user (Broadcaster.sendToUser).',
    operation: 'sendToUser',
  },
] as const;

type ReservedTopic = (typeof RESERVED_TOPICS)[number];

/** What the server-only topics carry: whatever the application sends. */
export function directMessage(): Json {
  return {
    name: DIRECT_MESSAGE,
    title: 'direct or broadcast message',
    summary: 'The payload of message frames on server-only topics: whatever the application sends.',
    payload: {},
  };
}

/** The channel of a server-only topic. */
export function reservedChannel(reserved: ReservedTopic): Json {
  const channel: Json = {
    address: reserved.address,
    title: reserved.address,
    summary: reserved.summary,
  };
  if ('parameter' in reserved) {
    channel.parameters = {
      [reserved.parameter.name]: { description: reserved.parameter.description },
    };
  }
  channel.messages = { [DIRECT_MESSAGE]: ref('components', 'messages', DIRECT_MESSAGE) };
  channel.bindings = copy(WS_BINDING);
  return channel;
}

/** `send`: every connection gets these without subscribing. */
export function reservedOperation(reserved: ReservedTopic): Json {
  return {
    action: 'send',
    channel: ref('channels', reserved.key),
    title: reserved.address,
    summary: reserved.summary,
    description:
      'Every connection receives these without subscribing; clients cannot subscribe or publish to `$` topics.',
    messages: [ref('channels', reserved.key, 'messages', DIRECT_MESSAGE)],
  };
}

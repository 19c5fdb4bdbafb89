import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  Broadcaster,
  DescribeEvent,
  OnPublish,
  OnSubscribe,
  Principal,
  type PublishContext,
  type SubscribeContext,
  Topic,
} from '../lib/index.js';
import type { ChatPrincipal } from './auth.js';

/** The payload clients send; the server adds `author` (when missing) and `sentAt`. */
export const chatMessageSchema = {
  type: 'object',
  required: ['text'],
  additionalProperties: false,
  properties: {
    text: { type: 'string', minLength: 1, maxLength: 1000, description: 'The message.' },
    author: { type: 'string', minLength: 1, maxLength: 40, description: 'Display name.' },
    sentAt: { type: 'string', format: 'date-time', description: 'Set by the server.' },
  },
};

export interface ChatMessage {
  text: string;
  author?: string;
  sentAt?: string;
}

@WebSocketGateway({ path: '/ws' })
@Topic('chat/rooms/{roomId}', {
  summary: 'Messages of one chat room.',
  description:
    'Subscribe to each room by its topic: the staff room is for staff only, so patterns that leave the room open (`chat/rooms/+`, `chat/#`) are refused with `DWS_ERR_WILDCARD_NOT_ALLOWED`.',
  payload: chatMessageSchema,
  clientsMayPublish: true,
  params: {
    roomId: {
      description: 'Room name: letters, digits, "-" and "_".',
      pattern: '^[A-Za-z0-9_-]{1,32}$',
    },
  },
  examples: [{ text: 'Hello, room!', author: 'ada' }],
  // Who is in each room, across instances; joins and leaves arrive on the room's topic.
  presence: { joinLeave: true },
})
@Topic('chat/announcements', {
  summary: 'Server announcements; clients read them but cannot write.',
  payload: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
})
export class ChatGateway {
  constructor(private readonly broadcaster: Broadcaster) {}

  /**
   * The staff room is for signed-in staff (a JWT with `staff: true`); guests are never staff.
   * The hook decides by `roomId`, and `chat/rooms/+` or `chat/#` would cover the staff room
   * without naming it: since this topic does not declare `wildcards: true`, the library refuses
   * such patterns (`DWS_ERR_WILDCARD_NOT_ALLOWED`) before this hook runs.
   */
  @OnSubscribe('chat/rooms/{roomId}')
  canJoin(context: SubscribeContext<{ roomId: string }, ChatPrincipal | null>): boolean {
    return context.params.roomId !== 'staff' || context.principal?.staff === true;
  }

  @OnPublish('chat/rooms/{roomId}')
  stamp(
    context: PublishContext<ChatMessage, { roomId: string }, ChatPrincipal | null>,
  ): ChatMessage {
    return {
      ...context.payload,
      // A signed-in user can't post under another name; guests pick theirs.
      author:
        context.principal?.name ??
        context.payload.author ??
        `guest-${context.connectionId.slice(0, 6)}`,
      sentAt: new Date().toISOString(),
    };
  }

  @SubscribeMessage('stats')
  @DescribeEvent({
    summary: 'How many connections this instance holds.',
    payload: { type: 'object', additionalProperties: false },
    reply: {
      type: 'object',
      required: ['connections'],
      properties: { connections: { type: 'integer' } },
    },
  })
  stats(@MessageBody() _body: unknown): { connections: number } {
    return { connections: this.broadcaster.localConnections };
  }

  @SubscribeMessage('whoami')
  @DescribeEvent({
    summary: 'Who this connection is signed in as (null for a guest).',
    payload: { type: 'object', additionalProperties: false },
    reply: {
      type: ['object', 'null'],
      properties: {
        userId: { type: 'string' },
        name: { type: 'string' },
        staff: { type: 'boolean' },
      },
    },
  })
  whoami(@Principal() principal: ChatPrincipal | null): ChatPrincipal | null {
    return principal;
  }
}

import type { JsonSchema } from '../decorators/topic-options.interface.js';
import { ReservedEvent } from '../protocol/frames.js';
import { frame, object, offset, pattern, positions } from './frame-schemas.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ERROR_CODES, errorCodeTable } from './protocol-text.js';

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

/** A message of the connection channel: its key, the frame it describes, who sends it. */
export interface ControlMessage {
  key: string;
  message: Record<string, unknown>;
}

type Event = (typeof ReservedEvent)[keyof typeof ReservedEvent];

function message(
  key: string,
  title: string,
  summary: string,
  payload: JsonSchema,
  example: unknown,
  description?: string,
): ControlMessage {
  return {
    key,
    message: {
      name: key,
      title,
      summary,
      ...(description ? { description } : {}),
      payload,
      examples: [{ payload: example }],
    },
  };
}

/** A frame the client sends; its `id`, optional, is the one of the example's `ack`. */
function request(
  event: Event,
  id: number,
  summary: string,
  data: JsonSchema,
  example: unknown,
  description?: string,
): ControlMessage {
  return message(
    event,
    event,
    summary,
    frame(event, data, 'optional'),
    { event, id, data: example },
    description,
  );
}

/** The `ack` of a request, keyed `<request>Ack` so that operations can name it as their reply. */
function ack(
  of: Event,
  id: number,
  summary: string,
  data: JsonSchema,
  example: unknown,
): ControlMessage {
  return message(`${of}Ack`, `ack of ${of}`, summary, frame(ReservedEvent.Ack, data, 'required'), {
    event: ReservedEvent.Ack,
    id,
    data: example,
  });
}

/** A frame the server sends on its own, without an `id`. */
function push(
  event: Event,
  summary: string,
  data: JsonSchema,
  example: unknown,
  description?: string,
): ControlMessage {
  return message(
    event,
    event,
    summary,
    frame(event, data, 'none'),
    { event, data: example },
    description,
  );
}

const SAMPLE_OFFSET = '3:k2Jx9q:1718000000000-0';
const SAMPLE_POSITIONS = ['0:k2Jx9q:1718000000000-0', '1:k2Jx9q:1717999990000-2'];
const SAMPLE_TOKEN = 'eyJzIjoiYzhacTFtIiwidSI6bnVsbH0.Qm9vZ3VzIHNpZ25hdHVyZQ';

/**
 * The reserved events, as messages of the connection channel, in the order a client meets
 * them. Each `ack` variant is its own message so that operations can name their reply.
 */
export function controlMessages(ex: ProtocolExamples): ControlMessage[] {
  return [
    push(
      ReservedEvent.Welcome,
      'First frame of every connection.',
      object({
        connectionId: { type: 'string', description: 'This connection; also its session id.' },
        sessionToken: {
          type: 'string',
          description: 'Proves ownership of the session: send it in `resume`.',
        },
        positions,
        heartbeat: { type: 'integer', description: 'Interval of server pings, in ms.' },
        shards: {
          type: 'integer',
          minimum: 1,
          description: 'Number of shards (length of `positions`).',
        },
      }),
      {
        connectionId: 'c8Zq1m',
        sessionToken: SAMPLE_TOKEN,
        positions: SAMPLE_POSITIONS,
        heartbeat: 25000,
        shards: 2,
      },
    ),
    ...subscription(ReservedEvent.Subscribe, 1, ex.pattern),
    ...subscription(ReservedEvent.Unsubscribe, 2, ex.pattern),
    request(
      ReservedEvent.Publish,
      3,
      'Publishes to a topic that allows client publishes.',
      object({
        topic: { type: 'string', minLength: 1, description: 'A concrete topic (no wildcards).' },
        payload: {
          description: "Must match the topic's payload schema (see the topic's channel).",
        },
      }),
      { topic: ex.topic, payload: ex.payload },
    ),
    ack(
      ReservedEvent.Publish,
      3,
      'The backplane stored the message; every subscriber will receive it.',
      object({ topic: { type: 'string' }, offset }),
      { topic: ex.topic, offset: SAMPLE_OFFSET },
    ),
    request(
      ReservedEvent.Resume,
      4,
      'Restores a session on a new connection, on any instance.',
      object(
        {
          token: {
            type: 'string',
            description: 'The latest `sessionToken` (from `welcome` or a resume `ack`).',
          },
          topics: { type: 'array', items: pattern, description: 'Patterns to subscribe again.' },
          positions: { ...positions, description: 'The newest offset received per shard.' },
          info: {
            type: 'object',
            description: 'Presence info by topic, for the restored topics that track presence.',
          },
        },
        ['token', 'topics', 'positions'],
      ),
      { token: SAMPLE_TOKEN, topics: [ex.pattern], positions: SAMPLE_POSITIONS },
      'Send it first on the new connection. The subscriptions are authorized again; missed messages are replayed right after the `ack` when `recovered` is true.',
    ),
    ack(
      ReservedEvent.Resume,
      4,
      'The session is restored; replayed messages follow, then a `positions` frame.',
      object(
        {
          recovered: {
            type: 'boolean',
            description: 'False: messages may have been missed; reload your state.',
          },
          reason: {
            type: 'string',
            enum: ['epoch', 'window', 'limit', 'positions'],
            description:
              'Why not recovered: the backplane lost its data (`epoch`), the client was away longer than the retention (`window`), too many messages to replay (`limit`), or the positions sent were incomplete (`positions`).',
          },
          connectionId: { type: 'string' },
          sessionToken: { type: 'string', description: 'Use this one for the next `resume`.' },
          topics: {
            type: 'array',
            items: { type: 'string' },
            description: 'Patterns now active.',
          },
          rejected: {
            type: 'array',
            description: 'Patterns not restored, with the reason.',
            items: object({
              topic: { type: 'string' },
              code: { type: 'string' },
              message: { type: 'string' },
            }),
          },
          replayed: {
            type: 'integer',
            minimum: 0,
            description: 'Number of `message` frames replayed after this ack.',
          },
          positions,
        },
        [
          'recovered',
          'connectionId',
          'sessionToken',
          'topics',
          'rejected',
          'replayed',
          'positions',
        ],
      ),
      {
        recovered: true,
        connectionId: 'c8Zq1m',
        sessionToken: SAMPLE_TOKEN,
        topics: [ex.pattern],
        rejected: [],
        replayed: 1,
        positions: SAMPLE_POSITIONS,
      },
    ),
    ...presenceRequest(5, ex.presenceTopic),
    push(
      ReservedEvent.Message,
      'A message delivered on a subscribed topic (or a direct one).',
      object({
        topic: { type: 'string', description: 'The concrete topic it was published to.' },
        offset,
        payload: { description: "The topic's payload (see the topic's channel)." },
      }),
      { topic: ex.topic, offset: SAMPLE_OFFSET, payload: ex.payload },
    ),
    presenceEvent(ex.presenceTopic),
    push(
      ReservedEvent.Positions,
      'The current position of every shard, sent with each heartbeat and after a resume.',
      object({ positions }),
      { positions: SAMPLE_POSITIONS },
      'Keep them: resuming from recent positions stays within the retention window even when your topics were quiet.',
    ),
    // Sent by the server, yet with the `id` of the frame it refuses.
    message(
      ReservedEvent.Error,
      ReservedEvent.Error,
      "A frame could not be handled; `id` is the offending frame's when it had one.",
      frame(
        ReservedEvent.Error,
        {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: {
              type: 'string',
              description: 'A `DWS_ERR_*` code, or one chosen by the application.',
              examples: ERROR_CODES,
            },
            message: { type: 'string', description: 'What went wrong, for humans.' },
            status: {
              type: 'integer',
              description: 'The HTTP status, with `DWS_ERR_HTTP_EXCEPTION`.',
            },
            retryAfterMs: {
              type: 'integer',
              description: 'With `DWS_ERR_RATE_LIMITED`: when the next publish will be accepted.',
            },
          },
        },
        'optional',
      ),
      {
        event: ReservedEvent.Error,
        id: 3,
        data: {
          code: ErrorCode.InvalidPayload,
          message: 'payload is missing required property "text".',
        },
      },
      errorCodeTable(),
    ),
  ];
}

/** `subscribe` or `unsubscribe` and its `ack`, which differ only in the direction. */
function subscription(event: Event, id: number, topic: string): ControlMessage[] {
  const subscribed = event === ReservedEvent.Subscribe;
  const flag = subscribed ? 'alreadySubscribed' : 'wasSubscribed';
  const info = {
    description:
      'What other members see about this connection in presence: any JSON (1 KiB by default at most), kept for an exact topic that tracks presence.',
  };
  const present = {
    type: 'boolean',
    const: true,
    description: "Present when the connection is now in the topic's presence.",
  };
  const required = ['topic', 'subscribed', flag];
  return [
    request(
      event,
      id,
      subscribed
        ? 'Starts receiving a topic or pattern.'
        : 'Stops receiving a pattern subscribed before.',
      subscribed ? object({ topic: pattern, info }, ['topic']) : object({ topic: pattern }),
      { topic },
    ),
    ack(
      event,
      id,
      subscribed ? 'The subscription is active.' : 'The subscription is gone.',
      object(
        {
          topic: { type: 'string' },
          subscribed: { type: 'boolean', const: subscribed },
          [flag]: { type: 'boolean' },
          ...(subscribed ? { presence: present } : {}),
        },
        required,
      ),
      { topic, subscribed, [flag]: !subscribed },
    ),
  ];
}

const member = object({
  connectionId: { type: 'string', description: 'The connection (session) id.' },
  userId: { type: ['string', 'null'], description: 'Its authenticated user, or null.' },
  info: { description: 'What the client attached to its `subscribe` (null when nothing).' },
});
const SAMPLE_MEMBER = { connectionId: 'c8Zq1m', userId: 'ada', info: { name: 'Ada' } };

/** `presence` and its `ack`: who is subscribed to an exact topic, on every instance. */
function presenceRequest(id: number, topic: string): ControlMessage[] {
  return [
    request(
      ReservedEvent.Presence,
      id,
      'Asks who is subscribed to a topic that tracks presence.',
      object({ topic: { type: 'string', minLength: 1, description: 'An exact topic.' } }),
      { topic },
      "Allowed to a client the topic's subscribe hooks allow. A topic without presence is refused with `DWS_ERR_PRESENCE_DISABLED`.",
    ),
    ack(
      ReservedEvent.Presence,
      id,
      'Every connection subscribed to the topic (exact subscriptions), on every instance.',
      object({
        topic: { type: 'string' },
        members: { type: 'array', items: member, description: 'Ordered by `connectionId`.' },
      }),
      { topic, members: [SAMPLE_MEMBER] },
    ),
  ];
}

/** The `presence` frame the server pushes when a connection joins or leaves a topic. */
function presenceEvent(topic: string): ControlMessage {
  const data = { topic, action: 'join', member: SAMPLE_MEMBER };
  return message(
    'presenceEvent',
    'presence (join/leave)',
    'A connection joined or left a subscribed topic that announces it.',
    frame(
      ReservedEvent.Presence,
      object({
        topic: { type: 'string', description: 'The exact topic.' },
        action: { type: 'string', enum: ['join', 'leave'] },
        member,
      }),
      'none',
    ),
    { event: ReservedEvent.Presence, data },
    "Sent with the topic's messages, in order, to every subscriber of the topic, when its declaration sets `presence: { joinLeave: true }`. Not replayed by `resume`: ask `presence` again after reconnecting.",
  );
}

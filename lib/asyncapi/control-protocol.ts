import type { JsonSchema } from '../decorators/topic-options.interface.js';
import { ReservedEvent } from '../protocol/frames.js';
import { frame, object, offset, pattern, positions } from './frame-schemas.js';
import { ERROR_CODES, errorCodeTable } from './protocol-text.js';

/** Topics used in the examples, taken from the app's own declarations when it has some. */
export interface ProtocolExamples {
  /** A pattern a client may subscribe to: `chat/rooms/+`. */
  pattern: string;
  /** A topic a client may publish to, and a payload for it. */
  topic: string;
  payload: unknown;
}

/** A message of the connection channel: its key, the frame it describes, who sends it. */
export interface ControlMessage {
  key: string;
  message: Record<string, unknown>;
}

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

const SAMPLE_OFFSET = '3:k2Jx9q:1718000000000-0';
const SAMPLE_POSITIONS = ['0:k2Jx9q:1718000000000-0', '1:k2Jx9q:1717999990000-2'];
const SAMPLE_TOKEN = 'eyJzIjoiYzhacTFtIiwidSI6bnVsbH0.Qm9vZ3VzIHNpZ25hdHVyZQ';

/**
 * The reserved events, as messages of the connection channel, in the order a client meets
 * them. Each `ack` variant is its own message so that operations can name their reply.
 */
export function controlMessages(ex: ProtocolExamples): ControlMessage[] {
  const ack = ReservedEvent.Ack;
  return [
    message(
      'welcome',
      'welcome',
      'First frame of every connection.',
      frame(
        ReservedEvent.Welcome,
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
        'none',
      ),
      {
        event: 'welcome',
        data: {
          connectionId: 'c8Zq1m',
          sessionToken: SAMPLE_TOKEN,
          positions: SAMPLE_POSITIONS,
          heartbeat: 25000,
          shards: 2,
        },
      },
    ),
    message(
      'subscribe',
      'subscribe',
      'Starts receiving a topic or pattern.',
      frame(ReservedEvent.Subscribe, object({ topic: pattern }), 'optional'),
      {
        event: 'subscribe',
        id: 1,
        data: { topic: ex.pattern },
      },
    ),
    message(
      'subscribeAck',
      'ack of subscribe',
      'The subscription is active.',
      frame(
        ack,
        object({
          topic: { type: 'string' },
          subscribed: { type: 'boolean', const: true },
          alreadySubscribed: { type: 'boolean' },
        }),
        'required',
      ),
      {
        event: 'ack',
        id: 1,
        data: { topic: ex.pattern, subscribed: true, alreadySubscribed: false },
      },
    ),
    message(
      'unsubscribe',
      'unsubscribe',
      'Stops receiving a pattern subscribed before.',
      frame(ReservedEvent.Unsubscribe, object({ topic: pattern }), 'optional'),
      {
        event: 'unsubscribe',
        id: 2,
        data: { topic: ex.pattern },
      },
    ),
    message(
      'unsubscribeAck',
      'ack of unsubscribe',
      'The subscription is gone.',
      frame(
        ack,
        object({
          topic: { type: 'string' },
          subscribed: { type: 'boolean', const: false },
          wasSubscribed: { type: 'boolean' },
        }),
        'required',
      ),
      { event: 'ack', id: 2, data: { topic: ex.pattern, subscribed: false, wasSubscribed: true } },
    ),
    message(
      'publish',
      'publish',
      'Publishes to a topic that allows client publishes.',
      frame(
        ReservedEvent.Publish,
        object({
          topic: { type: 'string', minLength: 1, description: 'A concrete topic (no wildcards).' },
          payload: {
            description: "Must match the topic's payload schema (see the topic's channel).",
          },
        }),
        'optional',
      ),
      { event: 'publish', id: 3, data: { topic: ex.topic, payload: ex.payload } },
    ),
    message(
      'publishAck',
      'ack of publish',
      'The backplane stored the message; every subscriber will receive it.',
      frame(ack, object({ topic: { type: 'string' }, offset }), 'required'),
      { event: 'ack', id: 3, data: { topic: ex.topic, offset: SAMPLE_OFFSET } },
    ),
    message(
      'resume',
      'resume',
      'Restores a session on a new connection, on any instance.',
      frame(
        ReservedEvent.Resume,
        object({
          token: {
            type: 'string',
            description: 'The latest `sessionToken` (from `welcome` or a resume `ack`).',
          },
          topics: { type: 'array', items: pattern, description: 'Patterns to subscribe again.' },
          positions: { ...positions, description: 'The newest offset received per shard.' },
        }),
        'optional',
      ),
      {
        event: 'resume',
        id: 4,
        data: { token: SAMPLE_TOKEN, topics: [ex.pattern], positions: SAMPLE_POSITIONS },
      },
      'Send it first on the new connection. The subscriptions are authorized again; missed messages are replayed right after the `ack` when `recovered` is true.',
    ),
    message(
      'resumeAck',
      'ack of resume',
      'The session is restored; replayed messages follow, then a `positions` frame.',
      frame(
        ack,
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
        'required',
      ),
      {
        event: 'ack',
        id: 4,
        data: {
          recovered: true,
          connectionId: 'c8Zq1m',
          sessionToken: SAMPLE_TOKEN,
          topics: [ex.pattern],
          rejected: [],
          replayed: 1,
          positions: SAMPLE_POSITIONS,
        },
      },
    ),
    message(
      'message',
      'message',
      'A message delivered on a subscribed topic (or a direct one).',
      frame(
        ReservedEvent.Message,
        object({
          topic: { type: 'string', description: 'The concrete topic it was published to.' },
          offset,
          payload: { description: "The topic's payload (see the topic's channel)." },
        }),
        'none',
      ),
      { event: 'message', data: { topic: ex.topic, offset: SAMPLE_OFFSET, payload: ex.payload } },
    ),
    message(
      'positions',
      'positions',
      'The current position of every shard, sent with each heartbeat and after a resume.',
      frame(ReservedEvent.Positions, object({ positions }), 'none'),
      { event: 'positions', data: { positions: SAMPLE_POSITIONS } },
      'Keep them: resuming from recent positions stays within the retention window even when your topics were quiet.',
    ),
    message(
      'error',
      'error',
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
        event: 'error',
        id: 3,
        data: {
          code: 'DWS_ERR_INVALID_PAYLOAD',
          message: 'payload is missing required property "text".',
        },
      },
      errorCodeTable(),
    ),
  ];
}

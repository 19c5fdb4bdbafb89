import { ErrorCode } from './error-codes.js';
import { offsetSchema, positionsSchema } from './frame.schemas.js';
import type {
  MessageData,
  PositionsData,
  PresenceEventData,
  PresenceMember,
  WelcomeData,
} from './frames.js';
import { objectSchema, type JsonSchema } from './json-schema.js';

// The `data` of the frames a server pushes on its own (acks are in ack.schemas.ts), each
// checked against its type by `objectSchema`.

const welcome = objectSchema<WelcomeData>()({
  connectionId: { type: 'string', description: 'This connection; also its session id.' },
  sessionToken: {
    type: 'string',
    description: 'Proves ownership of the session: send it in `resume`.',
  },
  positions: positionsSchema,
  heartbeat: { type: 'integer', description: 'Interval of server pings, in ms.' },
  shards: {
    type: 'integer',
    minimum: 1,
    description: 'Number of shards (length of `positions`).',
  },
});

const message = objectSchema<MessageData>()({
  topic: { type: 'string', description: 'The concrete topic it was published to.' },
  offset: offsetSchema,
  payload: { description: "The topic's payload (see the topic's channel)." },
});

const positions = objectSchema<PositionsData>()(
  {
    positions: positionsSchema,
    sessionToken: {
      type: 'string',
      description:
        'A renewed session token (same session, later expiry), now and then in the periodic frame: keep it instead of the previous one.',
    },
  },
  ['positions'],
);

/** One member in `presence` answers and join/leave events. */
export const presenceMemberSchema = objectSchema<PresenceMember>()({
  connectionId: { type: 'string', description: 'The connection (session) id.' },
  userId: { type: ['string', 'null'], description: 'Its authenticated user, or null.' },
  info: { description: 'What the client attached to its `subscribe` (null when nothing).' },
});

const presenceEvent = objectSchema<PresenceEventData>()({
  topic: { type: 'string', description: 'The exact topic.' },
  action: {
    type: 'string',
    enum: ['join', 'leave'] satisfies PresenceEventData['action'][],
  },
  member: presenceMemberSchema,
});

// Open, unlike the others: handlers and hooks may add fields to an error (`ErrorData` has an
// index signature), so the compiler cannot check it; test/unit/protocol checks a typed sample.
const error: JsonSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: {
      type: 'string',
      description: 'A `DWS_ERR_*` code, or one chosen by the application.',
      examples: Object.values(ErrorCode),
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
};

/** JSON Schemas of the `data` of the frames a server sends without being asked, by name. */
export const serverFrameDataSchemas = { welcome, message, positions, presenceEvent, error };

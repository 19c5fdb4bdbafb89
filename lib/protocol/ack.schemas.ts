import { offsetSchema, positionsSchema } from './frame.schemas.js';
import type { PresenceAck, PublishAck, ResumeAck, SubscribeAck, UnsubscribeAck } from './frames.js';
import { objectSchema } from './json-schema.js';
import { presenceMemberSchema } from './server-frame.schemas.js';

// The `data` of the `ack` answering each reserved request, checked against its type by
// `objectSchema`.

const subscribe = objectSchema<SubscribeAck>()(
  {
    topic: { type: 'string' },
    subscribed: { type: 'boolean', const: true },
    alreadySubscribed: { type: 'boolean' },
    presence: {
      type: 'boolean',
      const: true,
      description: "Present when the connection is now in the topic's presence.",
    },
  },
  ['topic', 'subscribed', 'alreadySubscribed'],
);

const unsubscribe = objectSchema<UnsubscribeAck>()({
  topic: { type: 'string' },
  subscribed: { type: 'boolean', const: false },
  wasSubscribed: { type: 'boolean' },
});

const publish = objectSchema<PublishAck>()({ topic: { type: 'string' }, offset: offsetSchema });

/**
 * DRIFT, kept for now so that the generated document stays byte-identical: the document has
 * always listed `positions` as a required field of the resume `ack`, but the server has never
 * sent it (the positions come in the `positions` frame after the replay; docs/protocol.md
 * agrees). Tying the schema to `ResumeAck` surfaced it.
 */
export type ResumeAckAsDocumented = ResumeAck & { positions: string[] };

const resume = objectSchema<ResumeAckAsDocumented>()(
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
      items: objectSchema<ResumeAck['rejected'][number]>()({
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
    positions: positionsSchema,
  },
  ['recovered', 'connectionId', 'sessionToken', 'topics', 'rejected', 'replayed', 'positions'],
);

const presence = objectSchema<PresenceAck>()(
  {
    topic: { type: 'string' },
    members: {
      type: 'array',
      items: presenceMemberSchema,
      description:
        'Ordered by `connectionId`: every member, or `maxPresenceAnswerMembers` of them when `truncated`.',
    },
    truncated: {
      type: 'boolean',
      const: true,
      description: 'Present when the topic has more members than the answer lists.',
    },
    total: {
      type: 'integer',
      minimum: 0,
      description: 'With `truncated`: how many entries the topic holds.',
    },
  },
  ['topic', 'members'],
);

/** JSON Schemas of the `data` of the `ack` of each reserved request, by request event. */
export const ackDataSchemas = { subscribe, unsubscribe, publish, resume, presence };

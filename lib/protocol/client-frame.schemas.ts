import { patternSchema, positionsSchema } from './frame.schemas.js';
import type {
  PresenceRequestData,
  PublishData,
  ResumeData,
  SubscribeData,
  UnsubscribeData,
} from './frames.js';
import { objectSchema } from './json-schema.js';

// The `data` of the reserved frames a client sends, each checked against its type by
// `objectSchema` (a field added to a type without its schema fails to compile).

const subscribe = objectSchema<SubscribeData>()(
  {
    topic: patternSchema,
    info: {
      description:
        'What other members see about this connection in presence: any JSON (1 KiB by default at most), kept for an exact topic that tracks presence.',
    },
  },
  ['topic'],
);

const unsubscribe = objectSchema<UnsubscribeData>()({ topic: patternSchema });

const publish = objectSchema<PublishData>()({
  topic: { type: 'string', minLength: 1, description: 'A concrete topic (no wildcards).' },
  payload: { description: "Must match the topic's payload schema (see the topic's channel)." },
});

const resume = objectSchema<ResumeData>()(
  {
    token: {
      type: 'string',
      description: 'The latest `sessionToken` (from `welcome` or a resume `ack`).',
    },
    topics: { type: 'array', items: patternSchema, description: 'Patterns to subscribe again.' },
    positions: { ...positionsSchema, description: 'The newest offset received per shard.' },
    info: {
      type: 'object',
      description: 'Presence info by topic, for the restored topics that track presence.',
    },
  },
  ['token', 'topics', 'positions'],
);

const presence = objectSchema<PresenceRequestData>()({
  topic: { type: 'string', minLength: 1, description: 'An exact topic.' },
});

/** JSON Schemas of the `data` of the reserved frames a client sends, by event. */
export const clientFrameDataSchemas = { subscribe, unsubscribe, publish, resume, presence };

import { ReservedEvent } from './frames.js';
import type { JsonSchema } from './json-schema.js';

// The envelope of every frame, `{event, id?, data}`, and the fields several frames share. The
// `data` of each reserved frame is in client-frame.schemas.ts, server-frame.schemas.ts and
// ack.schemas.ts, next to nothing but the types they are checked against.

const frameId: JsonSchema = {
  description: 'Correlation id chosen by the client; the answer carries the same one.',
  oneOf: [{ type: 'string', minLength: 1, maxLength: 128 }, { type: 'integer' }],
};

/** An offset (see offset.ts). */
export const offsetSchema: JsonSchema = {
  type: 'string',
  pattern: '^[0-9]+:[^:]+:[0-9]+-[0-9]+$',
  description:
    '`<shard>:<epoch>:<stream id>`. Opaque apart from the shard number before the first `:`.',
};

/** One offset per shard, as in `welcome`, `positions` and `resume`. */
export const positionsSchema: JsonSchema = {
  type: 'array',
  items: offsetSchema,
  description:
    'One offset per shard, in shard order: everything after them is or will be delivered.',
};

/** A topic or subscription pattern. */
export const patternSchema: JsonSchema = {
  type: 'string',
  minLength: 1,
  description: 'A topic, or a pattern with MQTT wildcards: `+` fills one level, `#` the rest.',
};

/**
 * `{event, id?, data}` with `event` fixed. `id` is `none` on server pushes, `optional` on
 * client frames and `required` on an `ack`.
 */
export function frameSchema(
  event: string,
  data: JsonSchema,
  withId: 'none' | 'optional' | 'required',
): JsonSchema {
  const properties: Record<string, JsonSchema> = { event: { type: 'string', const: event } };
  if (withId !== 'none') properties.id = frameId;
  properties.data = data;
  return {
    type: 'object',
    required: withId === 'required' ? ['event', 'id', 'data'] : ['event', 'data'],
    additionalProperties: false,
    properties,
  };
}

/** The reply to a gateway event: an `ack` whose `data` is what the handler returned. */
export function eventReplyFrameSchema(reply: JsonSchema): JsonSchema {
  return frameSchema(ReservedEvent.Ack, reply, 'required');
}

/** A gateway event as sent by a client: `{event: name, id?, data}`; `data` optional without a schema. */
export function eventFrameSchema(event: string, payload: JsonSchema | undefined): JsonSchema {
  const schema = frameSchema(event, payload ?? {}, 'optional');
  return payload ? schema : { ...schema, required: ['event'] };
}

import type { JsonSchema } from '../decorators/topic-options.interface.js';
import { ReservedEvent } from '../protocol/frames.js';

// JSON Schemas of the frames on the wire, shared by the control messages and gateway events.

const frameId: JsonSchema = {
  description: 'Correlation id chosen by the client; the answer carries the same one.',
  oneOf: [{ type: 'string', minLength: 1, maxLength: 128 }, { type: 'integer' }],
};
export const offset: JsonSchema = {
  type: 'string',
  pattern: '^[0-9]+:[^:]+:[0-9]+-[0-9]+$',
  description:
    '`<shard>:<epoch>:<stream id>`. Opaque apart from the shard number before the first `:`.',
};
export const positions: JsonSchema = {
  type: 'array',
  items: offset,
  description:
    'One offset per shard, in shard order: everything after them is or will be delivered.',
};
export const pattern: JsonSchema = {
  type: 'string',
  minLength: 1,
  description: 'A topic, or a pattern with MQTT wildcards: `+` fills one level, `#` the rest.',
};

/** `{event, id?, data}` with `event` fixed. */
export function frame(
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

/** A closed object whose listed properties are all required unless `required` says otherwise. */
export function object(
  properties: Record<string, JsonSchema>,
  required = Object.keys(properties),
): JsonSchema {
  return { type: 'object', required, additionalProperties: false, properties };
}

/** The reply to a gateway event: an `ack` whose `data` is what the handler returned. */
export function eventReplyFrame(reply: JsonSchema): JsonSchema {
  return frame(ReservedEvent.Ack, reply, 'required');
}

/** A gateway event as sent by a client: `{event: name, id?, data}`; `data` optional without a schema. */
export function eventFrame(event: string, payload: JsonSchema | undefined): JsonSchema {
  const schema = frame(event, payload ?? {}, 'optional');
  return payload ? schema : { ...schema, required: ['event'] };
}

import { ackDataSchemas } from '../protocol/ack.schemas.js';
import { clientFrameDataSchemas } from '../protocol/client-frame.schemas.js';
import { frameSchema } from '../protocol/frame.schemas.js';
import { ReservedEvent } from '../protocol/frames.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import { serverFrameDataSchemas } from '../protocol/server-frame.schemas.js';

// The shapes of the connection channel's messages: a request and its `ack`, or a push. The
// schemas come from protocol/; what is added here is the document's framing of them.

/** A message of the connection channel: its key, the frame it describes, who sends it. */
export interface ControlMessage {
  key: string;
  message: Record<string, unknown>;
}

/** A reserved event a client sends, which the server answers with an `ack`. */
export type Request = keyof typeof clientFrameDataSchemas & keyof typeof ackDataSchemas;
/** A reserved event the server sends on its own. */
export type Push = 'welcome' | 'message' | 'positions';

/** A message of the connection channel, with one example frame. */
export function message(
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
export function request(
  event: Request,
  id: number,
  summary: string,
  example: unknown,
  description?: string,
): ControlMessage {
  const payload = frameSchema(event, clientFrameDataSchemas[event], 'optional');
  return message(event, event, summary, payload, { event, id, data: example }, description);
}

/** The `ack` of a request, keyed `<request>Ack` so that operations can name it as their reply. */
export function ack(of: Request, id: number, summary: string, example: unknown): ControlMessage {
  const payload = frameSchema(ReservedEvent.Ack, ackDataSchemas[of], 'required');
  return message(`${of}Ack`, `ack of ${of}`, summary, payload, {
    event: ReservedEvent.Ack,
    id,
    data: example,
  });
}

/** A frame the server sends on its own, without an `id`. */
export function push(
  event: Push,
  summary: string,
  example: unknown,
  description?: string,
): ControlMessage {
  const payload = frameSchema(event, serverFrameDataSchemas[event], 'none');
  return message(event, event, summary, payload, { event, data: example }, description);
}

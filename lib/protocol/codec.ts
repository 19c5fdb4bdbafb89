import { ErrorCode } from './error-codes.js';
import type { ClientFrame, FrameId } from './frames.js';
import { ProtocolError } from './protocol.error.js';

/** Deepest nesting of arrays/objects accepted in a client frame (the frame itself is level 1). */
export const DEFAULT_MAX_DEPTH = 32;

const MAX_ID_LENGTH = 128;

/**
 * Objects and arrays in a JSON text, counted without parsing it, or -1 as soon as they nest
 * deeper than `maxDepth`: a frame like `[[[[…]]]]` is refused before it costs a parse and a deep
 * object graph, and the count tells what parsing will cost in memory (`[{},{},…]` takes about 20
 * times its size once parsed).
 */
export function jsonContainers(text: string, maxDepth: number): number {
  let depth = 0;
  let containers = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > maxDepth) return -1;
      containers++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return containers;
}

/** What decoding a frame learned about its shape, for callers that bound its memory. */
export interface FrameShape {
  /** Objects and arrays in the frame, itself included. */
  containers: number;
}

function isFrameId(value: unknown): value is FrameId {
  return (
    (typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH) ||
    (typeof value === 'number' && Number.isSafeInteger(value))
  );
}

/**
 * Parses one client text frame.
 * @param shape filled in with the frame's shape, when given.
 * @returns the frame, or a `ProtocolError` describing exactly what is wrong (with the frame's
 *   `id` when one could be read, so the client can correlate the error).
 */
export function decodeClientFrame(
  text: string,
  maxDepth = DEFAULT_MAX_DEPTH,
  shape?: FrameShape,
): ClientFrame | ProtocolError {
  const containers = jsonContainers(text, maxDepth);
  if (shape) shape.containers = Math.max(0, containers);
  if (containers < 0) {
    return new ProtocolError(
      ErrorCode.TooDeep,
      `Frame nests deeper than ${maxDepth} levels of objects and arrays.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return new ProtocolError(ErrorCode.BadJson, 'Frame is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return new ProtocolError(
      ErrorCode.BadFrame,
      'Frame must be a JSON object {"event": string, "id"?: string|number, "data"?: any}.',
    );
  }
  const frame = parsed as Record<string, unknown>;
  const id = frame.id;
  if (id !== undefined && !isFrameId(id)) {
    return new ProtocolError(
      ErrorCode.BadFrame,
      `"id" must be a non-empty string of at most ${MAX_ID_LENGTH} characters or an integer.`,
    );
  }
  if (typeof frame.event !== 'string' || frame.event.length === 0) {
    return new ProtocolError(ErrorCode.BadFrame, '"event" must be a non-empty string.', id);
  }
  return frame as unknown as ClientFrame;
}

function idField(id: FrameId | undefined): string {
  return id === undefined ? '' : `,"id":${JSON.stringify(id)}`;
}

/** `{"event":"ack","id":…,"data":…}`. `data` undefined is sent as `null`. */
export function encodeAck(id: FrameId | undefined, data: unknown): string {
  return `{"event":"ack"${idField(id)},"data":${JSON.stringify(data ?? null)}}`;
}

/** `{"event":"error","id":…,"data":{"code":…,"message":…,…extra}}`. */
export function encodeError(
  id: FrameId | undefined,
  code: string,
  message: string,
  extra?: Record<string, unknown>,
): string {
  const data = extra ? { ...extra, code, message } : { code, message };
  return `{"event":"error"${idField(id)},"data":${JSON.stringify(data)}}`;
}

/**
 * `{"event":"message","data":{"topic":…,"offset":…,"payload":…}}` built around the payload's
 * JSON text as stored in the broker: a delivery is never parsed or re-serialized.
 */
export function encodeMessage(topic: string, payloadJson: string, offset: string): string {
  return `{"event":"message","data":{"topic":${JSON.stringify(topic)},"offset":"${offset}","payload":${payloadJson}}}`;
}

/** Any other server frame: `{"event":…,"data":…}`. */
export function encodeEvent(event: string, data: unknown): string {
  return JSON.stringify({ event, data });
}

/**
 * Frames for the frame fuzzer (test/e2e/frame-fuzzer.e2e-spec.ts): valid frames, mutated valid
 * frames and garbage, from a seeded PRNG so that a failure replays from its seed. Each frame comes
 * with what the server must answer, derived from its bytes by the rules of docs/protocol.md.
 */
import type { FrameId } from '../../lib/protocol/frames.js';

/** What the server owes a frame. */
export type Owed =
  /** Exactly one `ack` or `error` carrying this id. */
  | { kind: 'answer'; id: FrameId }
  /** Exactly one `error` without id, with one of these codes (sent in arrival order). */
  | { kind: 'decode-error'; codes: readonly string[] }
  /** The server closes the connection with this code (the frame is never read). */
  | { kind: 'close'; code: number }
  /** No id: no ack; an answer, if any, cannot be correlated. */
  | { kind: 'none' };

export interface FuzzFrame {
  bytes: Buffer;
  binary: boolean;
  owed: Owed;
}

/** mulberry32: tiny, fast and good enough to pick frames; the seed makes a run reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Whether nesting passes `max`, as docs/protocol.md counts it (the frame object is level 1). */
function deeperThan(value: unknown, max: number): boolean {
  // Iterative: a text of 30,000 brackets parses fine and would overflow a recursive walk.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (level > max) return true;
    for (const child of Object.values(node as object)) stack.push([child, level + 1]);
  }
  return false;
}

function isFrameId(id: unknown): id is FrameId {
  return (typeof id === 'string' && id.length >= 1 && id.length <= 128) || Number.isSafeInteger(id);
}

/** What the server owes these bytes, by docs/protocol.md ("Frames", "Error codes", "Close codes"). */
export function owedFor(
  bytes: Buffer,
  binary: boolean,
  maxPayload: number,
  maxDepth: number,
): Owed {
  if (bytes.length > maxPayload) return { kind: 'close', code: 1009 };
  if (binary) return { kind: 'decode-error', codes: ['DWS_ERR_BINARY_FRAME'] };
  let text: string;
  try {
    text = FATAL_UTF8.decode(bytes);
  } catch {
    return { kind: 'close', code: 1007 };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Whether the depth scan or the parser refuses first is the codec's choice.
    return { kind: 'decode-error', codes: ['DWS_ERR_BAD_JSON', 'DWS_ERR_TOO_DEEP'] };
  }
  if (deeperThan(parsed, maxDepth)) return { kind: 'decode-error', codes: ['DWS_ERR_TOO_DEEP'] };
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { kind: 'decode-error', codes: ['DWS_ERR_BAD_FRAME'] };
  }
  const { id, event } = parsed as { id?: unknown; event?: unknown };
  if (id !== undefined && !isFrameId(id)) {
    return { kind: 'decode-error', codes: ['DWS_ERR_BAD_FRAME'] };
  }
  if (id !== undefined) return { kind: 'answer', id };
  if (typeof event !== 'string' || event.length === 0) {
    return { kind: 'decode-error', codes: ['DWS_ERR_BAD_FRAME'] };
  }
  return { kind: 'none' };
}

/** The pools a generator draws from. */
export interface FuzzPools {
  /** Patterns that can be subscribed to. */
  filters: readonly string[];
  /** Topics clients may publish to; a `{text}` payload must be valid on each. */
  publishable: readonly string[];
  /** Topics and patterns that must be refused, each for its own reason. */
  badTopics: readonly string[];
  /** Gateway events and a valid `data` for each. */
  gatewayEvents: Readonly<Record<string, () => unknown>>;
  /** Event names no handler has, server-only events and names that shadow Object.prototype. */
  unknownEvents: readonly string[];
  /** A session token and positions of the connection, for `resume` frames. */
  session: () => { token: string; positions: string[] };
}

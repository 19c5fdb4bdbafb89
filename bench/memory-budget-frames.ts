// What the clients of `npm run bench:memory` send, shared by the instance (bench/memory-budget.ts,
// which checks the numbers) and the client process (bench/memory-budget-client.ts).
// MEM_SHAPE=worst (the default) sends what costs the server most per byte: topics of two-byte
// characters (V8 keeps them as UTF-16) and JSON made of empty objects (`[{},{},…]`: 3 bytes on the
// wire, about 40 in the heap once parsed). MEM_SHAPE=text sends ASCII text, as a chat would.

/** `maxTopicLength`'s default: every topic of the benchmark is exactly this long. */
export const TOPIC_LENGTH = 256;

export const SHAPE = process.env.MEM_SHAPE === 'text' ? 'text' : 'worst';

/** Pads `prefix` to exactly {@link TOPIC_LENGTH} UTF-16 code units. */
function padded(prefix: string): string {
  return prefix + (SHAPE === 'text' ? 'x' : '\u0436').repeat(TOPIC_LENGTH - prefix.length);
}

/**
 * A JSON value whose text is exactly `bytes` long (at least 4), with at most `maxObjects` empty
 * objects in it (presence info may hold at most 32 objects and arrays).
 */
function filler(bytes: number, maxObjects = Infinity): unknown {
  if (SHAPE === 'text') return 'x'.repeat(bytes - 2);
  // `[{},{},…,"xx"]`: 1 + 3 per object + 3 for the string's quotes and bracket.
  const objects = Math.min(maxObjects, Math.floor((bytes - 4) / 3));
  return [...Array.from({ length: objects }, () => ({})), 'x'.repeat(bytes - 4 - 3 * objects)];
}

/** The `k`-th plain topic of connection `index` (template `mem/{conn}/{n}/{pad}`). */
export function plainTopic(index: number, k: number): string {
  return padded(`mem/${index}/${k}/`);
}

/** The `k`-th presence topic of connection `index` (template `room/{conn}/{n}/{pad}`). */
export function presenceTopic(index: number, k: number): string {
  return padded(`room/${index}/${k}/`);
}

/** Presence info whose JSON is exactly `bytes` long, as `maxPresenceInfoBytes` counts it. */
export function presenceInfo(bytes: number): unknown {
  return filler(bytes, 31);
}

/** A `hold` event (answered only once the gate opens) of exactly `bytes` bytes. */
export function gatedFrame(id: number, bytes: number): string {
  const base = JSON.stringify({ event: 'hold', id, data: { pad: '' } }).length - 2;
  const frame = JSON.stringify({ event: 'hold', id, data: { pad: filler(bytes - base) } });
  if (frame.length !== bytes) throw new Error(`gated frame of ${frame.length} bytes, not ${bytes}`);
  return frame;
}

/** FIN and the opcode (RFC 6455 §5.2): a whole text frame, a ping. */
const TEXT = 0x81;
const PING = 0x89;

/**
 * A complete, unmasked WebSocket text frame (RFC 6455 §5.2: FIN, opcode 1, no extension bits)
 * around an already UTF-8 encoded payload, in one buffer.
 *
 * A delivery builds this once per message and writes the same bytes to every matching socket,
 * so the per-socket cost is one `socket.write` of one buffer: `ws` would allocate a header per
 * socket and write header and payload as two chunks (a `writev`). Only valid on sockets without
 * a negotiated extension (permessage-deflate compresses per socket).
 */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const frame = Buffer.allocUnsafe(headerLength(length) + length);
  payload.copy(frame, writeHeader(frame, 0, TEXT, length));
  return frame;
}

/** A text frame around `text`, encoded straight into the frame's buffer (one allocation). */
export function textFrameOf(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(textFrameLength(length));
  writeTextFrame(frame, 0, text, length);
  return frame;
}

/** Bytes of a text frame whose payload is `length` bytes. */
export function textFrameLength(length: number): number {
  return headerLength(length) + length;
}

/**
 * Writes a text frame around `text`, whose UTF-8 is `length` bytes, into `target` at `at` (room
 * for {@link textFrameLength} bytes); returns where it ends.
 */
export function writeTextFrame(target: Buffer, at: number, text: string, length: number): number {
  const start = writeHeader(target, at, TEXT, length);
  return start + target.write(text, start, length, 'utf8');
}

/** The payload of a frame built here: a view, not a copy. */
export function framePayload(frame: Buffer): Buffer {
  const marker = frame[1];
  return frame.subarray(marker < 126 ? 2 : marker === 126 ? 4 : 10);
}

/**
 * Complete frames one after another in one buffer, for one write: `frames`, then a ping with
 * `ping` as its payload (at most 125 bytes), if given. A resume's answer leaves this way: one
 * system call for the ack, the replay and the ping that confirms it (issue 18).
 */
export function joinFrames(frames: readonly Buffer[], ping: Buffer | null = null): Buffer {
  let bytes = ping === null ? 0 : 2 + ping.length;
  for (let i = 0; i < frames.length; i++) bytes += frames[i].length;
  const joined = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    // TypedArray#set, not Buffer#copy: no call into C++ per (small) frame.
    joined.set(frames[i], at);
    at += frames[i].length;
  }
  if (ping !== null) ping.copy(joined, writeHeader(joined, at, PING, ping.length));
  return joined;
}

function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

/** Writes the header of an unmasked frame of `length` payload bytes at `at`; returns its end. */
function writeHeader(frame: Buffer, at: number, first: number, length: number): number {
  frame[at] = first;
  if (length < 126) {
    frame[at + 1] = length;
    return at + 2;
  }
  if (length < 65_536) {
    frame[at + 1] = 126;
    frame.writeUInt16BE(length, at + 2);
    return at + 4;
  }
  frame[at + 1] = 127;
  // Frames are far below 2^53 bytes: the high 16 bits of the 64-bit length stay zero.
  frame.writeUInt16BE(0, at + 2);
  frame.writeUIntBE(length, at + 4, 6);
  return at + 10;
}

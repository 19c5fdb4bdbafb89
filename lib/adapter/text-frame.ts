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

/**
 * Frames one after another in one buffer, for one write: `texts` as text frames, then a ping
 * with `ping` as its payload (at most 125 bytes), if given. A resume's answer leaves this way:
 * one system call for the ack, the replay and the pong to confirm it (issue 18).
 */
export function textFrames(texts: readonly string[], ping: Buffer | null = null): Buffer {
  const lengths = new Array<number>(texts.length);
  let total = ping === null ? 0 : 2 + ping.length;
  for (let i = 0; i < texts.length; i++) {
    const length = Buffer.byteLength(texts[i]);
    lengths[i] = length;
    total += headerLength(length) + length;
  }
  const frames = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    at = writeHeader(frames, at, TEXT, lengths[i]);
    at += frames.write(texts[i], at, lengths[i], 'utf8');
  }
  if (ping !== null) ping.copy(frames, writeHeader(frames, at, PING, ping.length));
  return frames;
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

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
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (headerLength === 2) {
    frame[1] = length;
  } else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    // Frames are far below 2^53 bytes: the high 16 bits of the 64-bit length stay zero.
    frame.writeUInt16BE(0, 2);
    frame.writeUIntBE(length, 4, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}

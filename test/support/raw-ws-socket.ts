import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** How a raw connection ended, from the client's side. */
export type RawEnd =
  /** The server sent a close frame with this code (1005 when it had none). */
  | { closed: number }
  /** The TCP connection ended without a close frame. */
  | { dropped: true }
  /** Still open after the wait: the server is waiting for the rest of a frame. */
  | { silent: true };

/** Options of {@link frameBytes}: each one breaks RFC 6455 in its own way when changed. */
export interface FrameShape {
  opcode: number;
  payload?: Buffer;
  fin?: boolean;
  /** RSV1–3 bits (0–7); no extension is negotiated, so anything but 0 is a violation. */
  rsv?: number;
  /** Clients must mask (RFC 6455 §5.1). @default true */
  mask?: boolean;
  /** Announced payload length, when it should differ from the payload's. */
  length?: bigint;
}

/** One client frame, as bytes, possibly malformed on purpose. */
export function frameBytes(shape: FrameShape): Buffer {
  const payload = shape.payload ?? Buffer.alloc(0);
  const length = shape.length ?? BigInt(payload.length);
  const mask = shape.mask ?? true;
  const head = [((shape.fin ?? true) ? 0x80 : 0) | ((shape.rsv ?? 0) << 4) | (shape.opcode & 0xf)];
  const maskBit = mask ? 0x80 : 0;
  let extended = Buffer.alloc(0);
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) {
    head.push(maskBit | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(Number(length));
  } else {
    head.push(maskBit | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(length);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), extended, payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]));
  return Buffer.concat([Buffer.from(head), extended, key, masked]);
}

/**
 * A WebSocket client written on a bare TCP socket, so that a test can send bytes no WebSocket
 * library would: broken framing, reserved bits, unmasked frames, random noise.
 */
export class RawWsSocket {
  private received = Buffer.alloc(0);
  private head: string | null = null;
  private closeCode: number | null = null;
  private ended = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => (this.ended = true));
    socket.on('error', () => (this.ended = true));
  }

  /** Opens a TCP connection and completes the upgrade (HTTP 101) on `path`. */
  static async open(port: number, path = '/ws'): Promise<RawWsSocket> {
    const socket = connect(port, '127.0.0.1');
    const raw = new RawWsSocket(socket);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const deadline = Date.now() + 5000;
    while (raw.head === null && !raw.ended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    if (!raw.head?.startsWith('HTTP/1.1 101')) {
      socket.destroy();
      throw new Error(`upgrade refused: ${raw.head?.split('\r\n')[0] ?? 'no answer'}`);
    }
    return raw;
  }

  write(bytes: Buffer): void {
    if (!this.ended) this.socket.write(bytes);
  }

  /** The code of the server's close frame, null until one arrived. */
  get closeFrame(): number | null {
    return this.closeCode;
  }

  /**
   * Waits up to `timeout` ms for the server to end the TCP connection, never answering its close
   * frame (as a client that ignores the closing handshake would).
   * @returns whether the server ended it in time
   */
  async dropped(timeout: number): Promise<boolean> {
    const deadline = Date.now() + timeout;
    while (!this.ended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (!this.ended) this.socket.destroy();
    return this.ended;
  }

  /** Waits up to `timeout` ms for the server's close frame or the end of the connection. */
  async end(timeout: number): Promise<RawEnd> {
    const deadline = Date.now() + timeout;
    while (this.closeCode === null && !this.ended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.socket.destroy();
    if (this.closeCode !== null) return { closed: this.closeCode };
    return this.ended ? { dropped: true } : { silent: true };
  }

  /** Reads the upgrade answer, then server frames (never masked) until a close frame. */
  private onData(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    if (this.head === null) {
      const end = this.received.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.head = this.received.subarray(0, end).toString('latin1');
      this.received = this.received.subarray(end + 4);
    }
    while (this.closeCode === null && this.received.length >= 2) {
      const b = this.received;
      let length = b[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) return;
      if ((b[0] & 0x0f) === 0x8) this.closeCode = length >= 2 ? b.readUInt16BE(offset) : 1005;
      this.received = b.subarray(offset + length);
    }
  }
}

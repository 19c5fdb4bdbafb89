import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { BrokerMessage } from '../broker/broker.interface.js';
import { NOOP_METRICS, type DwsMetrics } from '../metrics/metrics.interface.js';
import { CloseCode } from '../protocol/close-codes.js';
import type { FrameRateLimiter } from '../security/frame-rate-limiter.js';
import { directFd, writeDirect } from './direct-write.js';
import { framePayload, joinFrames } from './text-frame.js';
import { randomId } from '../security/session-token.js';

/** A `@SubscribeMessage()` handler as Nest hands it to the adapter, bound to this client. */
export interface GatewayHandler {
  message: string;
  callback: (...args: unknown[]) => unknown;
  isAckHandledManually?: boolean;
}

const OPEN = 1;
// Stands in for a `ws` writer without the field read here: deliveries then always use `ws.send`.
const BUSY = { _state: -1 } as const;
// One options object for every send: this runs once per delivery per socket.
const TEXT_FRAME = { binary: false } as const;

/**
 * Server-side state of one WebSocket: identity, subscriptions, delivery bookkeeping.
 * Fields are plain and mutable because the delivery loop touches them for every message.
 */
export class Connection {
  /** Distinguishes this socket from an older one of the same session (take-over). */
  readonly incarnation = randomId(6);
  /** Patterns the client subscribed to (implicit personal topics excluded). */
  readonly filters = new Set<string>();
  readonly handlers = new Map<string, GatewayHandler>();
  /** What `authenticate` returned (null: anonymous). Set before the connection is registered. */
  principal: unknown = null;
  /** `principal.userId`: names the `$dws/user/<id>` topic and is bound into session tokens. */
  userId: string | null = null;
  /** The generation the session's latest token carries (0 until a resume: docs/security.md). */
  sessionGeneration = 0;
  /** When the latest token expires, in ms since the epoch: the heartbeat renews it before. */
  tokenExpiresAt = 0;
  /** The frame budget (null when `rateLimit` is false). */
  rateLimiter: FrameRateLimiter | null = null;
  /** Client frames received and not answered yet, and their bytes (`maxPendingFrames`). */
  pendingFrames = 0;
  pendingBytes = 0;
  /** Who waits until every frame received so far is answered (`afterPending`). */
  private drained: (() => void)[] = [];
  /**
   * Set once the socket closed and the registry let go of it: nothing may register it again (a
   * resume or a subscribe that was waiting when it closed would leak it for good).
   */
  removed = false;
  /** Set when the server decided to close once pending answers are out: later frames are ignored. */
  closing = false;
  /** Where slow-consumer closes are counted (set by the adapter; shared by every connection). */
  metrics: DwsMetrics = NOOP_METRICS;
  /** Last delivery stamp seen: dedupes a message matching several of its filters. */
  stamp = 0;
  /** Last batch this socket was corked for. */
  corkedBatch = 0;
  alive = true;
  /** While a resume replays, live messages wait here (null when live). */
  held: BrokerMessage[] | null = null;
  /**
   * Which takeovers of its session close this socket (control.ts): '' any (it never resumed);
   * null none, while a resume waits for its own takeover to come back through the log; else
   * the offset of that takeover, and only takeovers issued by a resume that had read it close
   * this socket.
   */
  takeoverMark: string | null = '';
  /** Reserved events of one connection run in order (a publish never overtakes an earlier one). */
  queue: Promise<unknown> = Promise.resolve();
  /**
   * The TCP socket under `ws`, when prebuilt frames may be written to it directly: no
   * extension was negotiated, so a frame's bytes are the same for every socket. `ws` (8.x)
   * writes synchronously when nothing is compressed, so direct writes and `ws.send` keep
   * their order, and `bufferedAmount` still counts what the socket holds.
   */
  readonly socket: Socket | null;
  /** `socket`'s descriptor for frames written past Node's stream, or -1 (direct-write.ts). */
  private readonly fd: number;
  /**
   * `ws`'s frame writer for this socket. It is busy (state not 0) only while it reads a `Blob`
   * the application sent on the socket itself; a delivery then goes through `ws.send`, which
   * queues it behind that frame, instead of overtaking it.
   */
  private readonly sender: { readonly _state: number };

  constructor(
    public id: string,
    readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
    private readonly maxHeld: number,
    directWrites: boolean,
  ) {
    const internals = ws as unknown as {
      _socket?: Socket;
      _sender?: { _state?: unknown };
      extensions: string;
    };
    const sender = internals._sender;
    this.sender = typeof sender?._state === 'number' ? (sender as { _state: number }) : BUSY;
    this.socket = internals.extensions === '' ? (internals._socket ?? null) : null;
    this.fd = this.socket !== null && directWrites ? directFd(this.socket) : -1;
  }

  get open(): boolean {
    return this.ws.readyState === OPEN;
  }

  /** Sends a serialized frame; closes with 4001 when the peer does not keep up. */
  send(frame: string | Buffer): void {
    if (this.ws.readyState !== OPEN) return;
    this.ws.send(frame, TEXT_FRAME);
    this.closeIfBehind();
  }

  /**
   * Sends complete frames (text-frame.ts), then a ping with `ping` as payload if given: as one
   * buffer in one write where frames may be written directly (`socket`), through `ws` one by one
   * otherwise. Closes with 4001 when the peer does not keep up.
   */
  sendFrames(frames: readonly Buffer[], ping: Buffer | null = null): void {
    if (this.ws.readyState !== OPEN) return;
    if (this.socket === null || this.sender._state !== 0) {
      for (const frame of frames) this.ws.send(framePayload(frame), TEXT_FRAME);
      if (ping !== null) this.ws.ping(ping);
    } else {
      writeDirect(this.socket, this.fd, joinFrames(frames, ping));
    }
    this.closeIfBehind();
  }

  /**
   * Delivers a live message: held while a resume replays, sent otherwise. `frame` is `payload`
   * wrapped as a complete WebSocket text frame (text-frame.ts), written as-is when allowed.
   */
  deliver(frame: Buffer, payload: Buffer, message: BrokerMessage): void {
    if (this.held === null) {
      if (this.socket === null || this.sender._state !== 0) return this.send(payload);
      if (this.ws.readyState !== OPEN) return;
      // Written whole to the descriptor, it left nothing in any buffer `bufferedAmount` counts.
      if (!writeDirect(this.socket, this.fd, frame)) this.closeIfBehind();
    } else if (this.held.push(message) > this.maxHeld) {
      this.held = null;
      this.close(CloseCode.SlowConsumer, 'slow consumer: too many messages while resuming');
    }
  }

  /** A frame counted in `pendingFrames` was answered (or dropped). */
  answered(bytes: number): void {
    this.pendingFrames--;
    this.pendingBytes -= bytes;
    if (this.pendingFrames === 0 && this.drained.length > 0) {
      for (const then of this.drained.splice(0)) then();
    }
  }

  /**
   * Runs `then` once every frame received so far is answered, or after `timeoutMs` if one never
   * is (a gateway handler that hangs must not keep a connection the server decided to close).
   */
  afterPending(then: () => void, timeoutMs: number): void {
    if (this.pendingFrames === 0) return then();
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      then();
    };
    const timer = setTimeout(once, timeoutMs);
    this.drained.push(once);
  }

  /** Calls `listener` once, when the socket closes (presence leaves, cleanup). */
  onClose(listener: () => void): void {
    this.ws.once('close', listener);
  }

  /** Closes with 4001 once the send buffer passed `maxBufferedBytes`. */
  private closeIfBehind(): void {
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.close(CloseCode.SlowConsumer, 'slow consumer: resume to catch up');
    }
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState !== OPEN) return;
    if (code === CloseCode.SlowConsumer) this.metrics.slowConsumerClosed();
    this.ws.close(code, reason);
  }
}

import { ACCESS_TOKEN_QUERY } from '../protocol/credentials.js';
import { backoffDelay } from './backoff.js';
import { ClientErrorCode, type DwsClientError, failure } from './client.error.js';
import type { ResolvedClientOptions, WebSocketLike } from './client.options.js';
import { afterClose } from './close-policy.js';

/** How a connection ended, once the reconnect decision is made. */
export interface SocketLoss {
  code: number;
  reason: string;
  /** The socket had been marked ready (its `welcome` arrived). */
  wasReady: boolean;
  willReconnect: boolean;
}

/** What the protocol layer hears from the transport. */
export interface SocketListener {
  frame(data: unknown): void;
  lost(loss: SocketLoss): void;
  error(error: DwsClientError): void;
}

// A connection that stayed ready this long was a success: the next drop starts the backoff over.
// Shorter-lived ones keep growing it, so a server that accepts then drops is not hammered.
const STABLE_AFTER_MS = 5000;
// Silence allowed beyond two heartbeat intervals (the server writes at least once per interval)
// before the connection is considered dead; covers GC pauses and a slow network.
const IDLE_MARGIN_MS = 5000;

/**
 * One WebSocket at a time, replaced when it is lost: the URL chosen for each attempt, the token
 * provider asked before each attempt, backoff between attempts, the close-code policy, and
 * timeouts for a server that never says `welcome` or goes silent. Knows nothing of the
 * protocol's frames.
 */
export class ReconnectingSocket {
  private socket: WebSocketLike | null = null;
  private ready = false;
  private readyAt = 0;
  private closed = false;
  private attempt = 0;
  /** Index in `urls` of the latest attempt (-1 before the first). */
  private urlIndex = -1;
  /** Indexes still to try, in random order, before any URL is tried a second time. */
  private untried: number[] = [];
  private lastToken: string | undefined;
  private nextToken: string | undefined;
  private lastFrameAt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly options: ResolvedClientOptions,
    private readonly listener: SocketListener,
  ) {}

  /** Whether frames can be sent: the current socket was marked ready. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Opens the first connection. */
  start(): void {
    void this.open();
  }

  /** The server greeted the current socket: frames may flow, and silence is now watched. */
  markReady(heartbeatMs: number): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.ready = true;
    this.readyAt = Date.now();
    // After the next loss, every other URL is a candidate again.
    this.untried = [];
    const socket = this.socket;
    if (socket && heartbeatMs > 0) this.watchIdle(socket, 2 * heartbeatMs + IDLE_MARGIN_MS);
  }

  /** Writes a frame on the ready socket; false when there is none (the caller keeps it for later). */
  send(frame: string): boolean {
    if (!this.ready || !this.socket) return false;
    try {
      this.socket.send(frame);
      return true;
    } catch {
      return false;
    }
  }

  /** Gives up on the current socket as if it had closed abnormally (1006), and reconnects. */
  abandon(reason: string): void {
    const socket = this.socket;
    if (!socket) return;
    this.onClose(socket, 1006, reason);
    try {
      socket.close();
    } catch {
      // Closing a socket that is already closing throws in some implementations.
    }
  }

  /** Closes for good. */
  close(code: number, reason: string): void {
    this.closed = true;
    const socket = this.socket;
    this.detach();
    try {
      socket?.close(code, reason);
    } catch {
      // Already closing: nothing left to do.
    }
  }

  private async open(): Promise<void> {
    this.urlIndex = this.nextUrlIndex();
    const url = this.options.urls[this.urlIndex];
    let token: string | undefined;
    try {
      token = this.nextToken ?? (await this.options.token?.());
    } catch (error) {
      if (this.closed) return;
      this.listener.error(
        failure(ClientErrorCode.HandlerFailed, 'The `token` provider threw', error),
      );
      return this.scheduleReconnect();
    } finally {
      this.nextToken = undefined;
    }
    if (this.closed) return;
    this.lastToken = token;
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(withToken(url, token)) as WebSocketLike;
    } catch (error) {
      this.listener.error(
        failure(ClientErrorCode.InvalidArgument, `Cannot open a WebSocket to "${url}"`, error),
      );
      return this.scheduleReconnect();
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.lastFrameAt = Date.now();
      this.listener.frame(event.data);
    };
    socket.onclose = (event) => this.onClose(socket, event.code, event.reason);
    // A close event always follows an error; `ws` would throw on an 'error' nobody listens to.
    socket.onerror = () => undefined;
    const timeout = this.options.connectTimeoutMs;
    this.connectTimer = setTimeout(() => this.abandon(`no welcome within ${timeout} ms`), timeout);
  }

  private onClose(socket: WebSocketLike, code: number, reason: string): void {
    if (this.socket !== socket) return;
    const wasReady = this.ready;
    if (wasReady && Date.now() - this.readyAt >= STABLE_AFTER_MS) this.attempt = 0;
    this.detach();
    const policy = afterClose(code);
    if (policy === 'reconnect-if-new-token') {
      void this.reconnectIfNewToken(code, reason, wasReady);
    } else {
      this.settle({ code, reason, wasReady, willReconnect: policy === 'reconnect' });
    }
  }

  /** 1008: the same credentials would fail the same way; only a different token is worth a try. */
  private async reconnectIfNewToken(
    code: number,
    reason: string,
    wasReady: boolean,
  ): Promise<void> {
    let fresh: string | undefined;
    try {
      fresh = await this.options.token?.();
    } catch (error) {
      this.listener.error(
        failure(ClientErrorCode.HandlerFailed, 'The `token` provider threw', error),
      );
    }
    if (this.closed) return;
    const willReconnect = fresh !== undefined && fresh !== this.lastToken;
    if (willReconnect) this.nextToken = fresh;
    this.settle({ code, reason, wasReady, willReconnect });
  }

  private settle(loss: SocketLoss): void {
    if (!loss.willReconnect) this.closed = true;
    this.listener.lost(loss);
    // A listener may have called close().
    if (!this.closed) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.attempt++, this.options, this.options.random);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.open();
    }, delay);
  }

  /**
   * The first URL first; after that, one of the others, in a random order that tries each of
   * them before any twice. When an instance goes away, its clients thus spread over the other
   * instances instead of all moving to the one after it in the list.
   */
  private nextUrlIndex(): number {
    const count = this.options.urls.length;
    if (this.urlIndex < 0 || count === 1) return 0;
    if (this.untried.length === 0) {
      for (let i = 0; i < count; i++) if (i !== this.urlIndex) this.untried.push(i);
      shuffle(this.untried, this.options.random);
    }
    return this.untried.pop()!;
  }

  /** A dead peer (half-open TCP) never closes: silence past `limitMs` means dead. */
  private watchIdle(socket: WebSocketLike, limitMs: number): void {
    const check = () => {
      const silent = Date.now() - this.lastFrameAt;
      if (silent >= limitMs) return this.abandon(`no frame from the server for ${silent} ms`);
      this.idleTimer = setTimeout(check, limitMs - silent);
    };
    if (this.socket === socket) this.idleTimer = setTimeout(check, limitMs);
  }

  private detach(): void {
    this.socket = null;
    this.ready = false;
    for (const timer of [this.reconnectTimer, this.connectTimer, this.idleTimer]) {
      if (timer) clearTimeout(timer);
    }
    this.reconnectTimer = this.connectTimer = this.idleTimer = null;
  }
}

/** Fisher–Yates, in place. */
function shuffle(items: number[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/** Adds the `access_token` query parameter (browsers cannot send headers with a WebSocket). */
function withToken(url: string, token: string | undefined): string {
  if (token === undefined) return url;
  const withParam = new URL(url);
  withParam.searchParams.set(ACCESS_TOKEN_QUERY, token);
  return withParam.toString();
}

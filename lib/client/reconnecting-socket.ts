import { AttemptTokens } from './attempt-tokens.js';
import { ClientErrorCode, DwsClientError, failure } from './client.error.js';
import type { ResolvedClientOptions, WebSocketLike } from './client.options.js';
import { afterClose } from './close-policy.js';
import { ReconnectSchedule } from './reconnect-schedule.js';
import { UrlRotation } from './server-urls.js';
import { SilenceWatchdog } from './silence-watchdog.js';
import { handshakeFor } from './token-transport.js';

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
  private closed = false;
  private readonly urls: UrlRotation;
  private readonly tokens: AttemptTokens;
  private readonly reconnect: ReconnectSchedule;
  private readonly silence = new SilenceWatchdog((silent) =>
    this.abandon(`no frame from the server for ${silent} ms`),
  );
  private connectTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly options: ResolvedClientOptions,
    private readonly listener: SocketListener,
  ) {
    this.urls = new UrlRotation(options.urls, options.random);
    this.tokens = new AttemptTokens(options.token);
    this.reconnect = new ReconnectSchedule(options, options.random);
  }

  /** The ready socket, to tell whether it is still the same one after an await; else null. */
  get connection(): object | null {
    return this.ready ? this.socket : null;
  }

  /** Whether frames can be sent: the current socket was marked ready. */
  get isReady(): boolean {
    return this.ready;
  }

  /**
   * A token to refresh the current connection's credentials with: the provider's answer, or
   * undefined without a provider or when it gives the token already in use (a refresh with it
   * would change nothing). Reports a provider that throws, and resolves undefined then.
   */
  async renewToken(): Promise<string | undefined> {
    const fresh = await this.askToken();
    if (fresh === undefined || !this.tokens.renewedWith(fresh)) return undefined;
    return fresh;
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
    this.reconnect.connected();
    this.urls.connected();
    if (this.socket && heartbeatMs > 0) this.silence.watch(2 * heartbeatMs + IDLE_MARGIN_MS);
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
    const url = this.urls.next();
    let token: string | undefined;
    try {
      token = this.tokens.takeFetched() ?? (await this.tokens.ask());
    } catch (error) {
      if (this.closed) return;
      this.listener.error(
        failure(ClientErrorCode.HandlerFailed, 'The `token` provider threw', error),
      );
      return this.scheduleReconnect();
    }
    if (this.closed) return;
    this.tokens.used(token);
    const handshake = handshakeFor(url, token, this.options.tokenTransport);
    if ('problem' in handshake) {
      this.listener.error(new DwsClientError(ClientErrorCode.InvalidArgument, handshake.problem));
      return this.scheduleReconnect();
    }
    let socket: WebSocketLike;
    try {
      const { WebSocket } = this.options;
      socket = (
        handshake.protocols === undefined
          ? new WebSocket(handshake.url)
          : new WebSocket(handshake.url, handshake.protocols, handshake.options)
      ) as WebSocketLike;
    } catch (error) {
      this.listener.error(
        failure(ClientErrorCode.InvalidArgument, `Cannot open a WebSocket to "${url}"`, error),
      );
      return this.scheduleReconnect();
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.silence.heard();
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
    if (wasReady) this.reconnect.lostReady();
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
    const fresh = await this.askToken();
    if (this.closed) return;
    this.settle({ code, reason, wasReady, willReconnect: this.tokens.retryWith(fresh) });
  }

  /** The provider's token, or undefined without a provider or when it throws (reported). */
  private async askToken(): Promise<string | undefined> {
    try {
      return await this.tokens.ask();
    } catch (error) {
      this.listener.error(
        failure(ClientErrorCode.HandlerFailed, 'The `token` provider threw', error),
      );
      return undefined;
    }
  }

  private settle(loss: SocketLoss): void {
    if (!loss.willReconnect) this.closed = true;
    this.listener.lost(loss);
    // A listener may have called close().
    if (!this.closed) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnect.schedule(() => void this.open());
  }

  private detach(): void {
    this.socket = null;
    this.ready = false;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.reconnect.cancel();
    this.silence.stop();
  }
}

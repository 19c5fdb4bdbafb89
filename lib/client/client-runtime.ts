import { CloseCode } from '../protocol/close-codes.js';
import { ReservedEvent, type MessageData, type RefreshData } from '../protocol/frames.js';
import {
  ClientErrorCode,
  DwsClientError,
  failure,
  isConnectionLoss,
  toClientError,
} from './client.error.js';
import type { ResolvedClientOptions } from './client.options.js';
import type { ClientEvents, ClientState } from './client.types.js';
import { TypedEmitter } from './emitter.js';
import { routeFrame, type FrameRoutes } from './frame-router.js';
import { PendingRequests } from './pending-requests.js';
import { ReconnectingSocket, type SocketLoss } from './reconnecting-socket.js';
import { SessionHandshake } from './session-handshake.js';
import { SessionState } from './session-state.js';
import { SubscriptionSync } from './subscription-sync.js';

const CLIENT_CLOSED = 'client closed';

/** The rejection of whatever is asked of a closed client. */
export const closedError = () =>
  new DwsClientError(ClientErrorCode.Closed, 'The client was closed.');

/**
 * The machinery behind `DistributedWsClient`: its state, its requests and their answers, the
 * frames of the server, and what a lost connection means for each. The public class adds the
 * argument checks and the documentation.
 */
export class ClientRuntime {
  readonly events = new TypedEmitter<ClientEvents>((error, event) => {
    // A throwing `error` listener is not reported again: that would loop.
    if (event !== 'error') {
      this.report(ClientErrorCode.HandlerFailed, `A "${String(event)}" listener threw`, error);
    }
  });
  private readonly requests: PendingRequests;
  readonly subscriptions: SubscriptionSync;
  readonly session: SessionState;
  private readonly transport: ReconnectingSocket;
  private readonly handshake: SessionHandshake;
  private current: ClientState = 'connecting';

  /** Starts connecting. */
  constructor(options: ResolvedClientOptions) {
    this.requests = new PendingRequests(options.ackTimeoutMs);
    this.session = new SessionState(options.session);
    this.subscriptions = new SubscriptionSync({
      isReady: () => this.transport.isReady,
      request: (event, data, callback) => this.requests.add(event, data, this.send, callback),
      error: (error) => this.events.emit('error', error),
    });
    this.transport = new ReconnectingSocket(options, {
      frame: (data) => routeFrame(data, this.routes),
      lost: (loss) => this.onLost(loss),
      error: (error) => this.events.emit('error', error),
    });
    this.handshake = new SessionHandshake({
      transport: this.transport,
      session: this.session,
      subscriptions: this.subscriptions,
      requests: this.requests,
      send: this.send,
      connected: (event) => {
        this.current = 'connected';
        this.events.emit('connected', event);
      },
      notRecovered: (event) => this.events.emit('notRecovered', event),
      malformed: (what) => this.report(ClientErrorCode.BadServerFrame, what),
    });
    this.transport.start();
  }

  get state(): ClientState {
    return this.current;
  }

  /** Sends a request (now, or with the next connection) and settles with its answer. */
  request(event: string, data: unknown): Promise<unknown> {
    if (this.current === 'closed') return Promise.reject(closedError());
    return new Promise((resolve, reject) =>
      this.requests.add(event, data, this.send, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
  }

  /** Closes for good; see `DistributedWsClient.close`. */
  close(): void {
    if (this.current === 'closed') return;
    const wasReady = this.transport.isReady;
    this.current = 'closed';
    this.session.connectionLost();
    this.transport.close(CloseCode.Normal, CLIENT_CLOSED);
    this.requests.failAll(closedError());
    if (wasReady) {
      this.events.emit('disconnected', {
        code: CloseCode.Normal,
        reason: CLIENT_CLOSED,
        willReconnect: false,
      });
    }
  }

  private readonly send = (frame: string): boolean => this.transport.send(frame);

  private readonly routes: FrameRoutes = {
    welcome: (welcome) => this.handshake.welcome(welcome),
    message: (message) => this.onMessage(message),
    positions: (positions, sessionToken) => this.session.replacePositions(positions, sessionToken),
    presence: (event) => this.events.emit('presence', event),
    refresh: () => void this.refreshCredentials(),
    answer: (id, event, data) => this.requests.settle(id, event, data),
    unansweredError: (data) => this.events.emit('error', toClientError(data)),
    malformed: (what) => this.report(ClientErrorCode.BadServerFrame, what),
  };

  /**
   * Answers the server's `refresh` frame with a new token from the provider, on the connection
   * that asked. A refusal is reported as `error`; the connection then ends with 4004 at the
   * expiry, and the client reconnects with a new token and resumes.
   */
  private async refreshCredentials(): Promise<void> {
    const connection = this.transport.connection;
    if (connection === null) return;
    const token = await this.transport.renewToken();
    if (token === undefined || this.transport.connection !== connection) return;
    const data: RefreshData = { token };
    this.requests.add(ReservedEvent.Refresh, data, this.send, (error) => {
      if (error && !isConnectionLoss(error)) this.events.emit('error', error);
    });
  }

  private onMessage(message: MessageData): void {
    // Held back until the resume answer: see `SessionState.resuming`.
    if (this.session.resuming) return;
    if (typeof message?.topic !== 'string') {
      return this.report(ClientErrorCode.BadServerFrame, 'A message frame without a topic');
    }
    if (!this.session.accept(message.offset)) return;
    this.subscriptions.dispatch(message.payload, { topic: message.topic, offset: message.offset });
  }

  private onLost({ code, reason, wasReady, willReconnect }: SocketLoss): void {
    this.session.connectionLost();
    const message = `The connection closed (${code}) before the answer arrived.`;
    this.requests.failSent(new DwsClientError(ClientErrorCode.Disconnected, message));
    if (this.current === 'closed') return;
    if (!willReconnect) {
      this.current = 'closed';
      const ended = `The server ended the session (${code}${reason ? ` ${reason}` : ''}).`;
      this.requests.failAll(new DwsClientError(ClientErrorCode.Closed, ended));
    } else if (this.current === 'connected') {
      this.current = 'reconnecting';
    }
    // Failed attempts of a connection that never became ready emit nothing: `state` tells.
    if (wasReady || !willReconnect) {
      this.events.emit('disconnected', { code, reason, willReconnect });
    }
  }

  /** Emits `error`; `what` is completed with the cause's message (or a full stop). */
  private report(code: ClientErrorCode, what: string, cause?: unknown): void {
    this.events.emit('error', failure(code, what, cause));
  }
}

import { CloseCode } from '../protocol/close-codes.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  ReservedEvent,
  type MessageData,
  type PresenceAck,
  type PresenceEventData,
  type PresenceMember,
  type ResumeAck,
  type WelcomeData,
} from '../protocol/frames.js';
import { isReservedTopic, validateTopicFilter } from '../topics/topic-validation.js';
import {
  ClientErrorCode,
  DwsClientError,
  failure,
  isConnectionLoss,
  toClientError,
} from './client.error.js';
import {
  type ClientSession,
  type DistributedWsClientOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
} from './client.options.js';
import type {
  CallData,
  ClientEvents,
  ClientState,
  ConnectedEvent,
  EventMap,
  MessageHandler,
  PayloadOf,
  PublishAck,
  ReplyOf,
  SubscribeOptions,
  Subscription,
  TopicMap,
  UntypedEvents,
} from './client.types.js';
import { TypedEmitter } from './emitter.js';
import { PendingRequests } from './pending-requests.js';
import { ReconnectingSocket, type SocketLoss } from './reconnecting-socket.js';
import { SessionState } from './session-state.js';
import { SubscriptionSync } from './subscription-sync.js';

const RESERVED_EVENTS = new Set<string>(Object.values(ReservedEvent));
const CLIENT_CLOSED = 'client closed';

const closedError = () => new DwsClientError(ClientErrorCode.Closed, 'The client was closed.');

/**
 * A client of a `nestjs-distributed-ws` server, for browsers and Node. It reconnects with
 * backoff (failing over between `url`s), resumes its session on every reconnection so that no
 * message is lost or duplicated within the server's retention window, and restores its
 * subscriptions.
 *
 * @typeParam Topics - payload types by topic (see {@link TopicMap}).
 * @typeParam Events - request and reply types of `call` by event (see {@link EventMap}).
 * @example
 * const client = new DistributedWsClient({ url: 'wss://chat.example.com/ws' });
 * const leave = client.subscribe('chat/rooms/lobby', (message, { topic }) => render(message));
 * await client.publish('chat/rooms/lobby', { text: 'hi' });
 */
export class DistributedWsClient<
  Topics extends TopicMap = Record<string, unknown>,
  Events extends EventMap = UntypedEvents,
> {
  private readonly options: ResolvedClientOptions;
  private readonly events = new TypedEmitter<ClientEvents>((error, event) => {
    // A throwing `error` listener is not reported again: that would loop.
    if (event !== 'error') {
      this.report(ClientErrorCode.HandlerFailed, `A "${String(event)}" listener threw`, error);
    }
  });
  private readonly requests: PendingRequests;
  private readonly subscriptions: SubscriptionSync;
  private readonly sessionState: SessionState;
  private readonly transport: ReconnectingSocket;
  private currentState: ClientState = 'connecting';

  /**
   * Validates the options and starts connecting.
   * @throws DwsClientError `DWS_CLIENT_INVALID_ARGUMENT` when an option is wrong.
   */
  constructor(options: DistributedWsClientOptions) {
    this.options = resolveClientOptions(options);
    this.requests = new PendingRequests(this.options.ackTimeoutMs);
    this.sessionState = new SessionState(this.options.session);
    this.subscriptions = new SubscriptionSync({
      isReady: () => this.transport.isReady,
      request: (event, data, callback) => this.requests.add(event, data, this.send, callback),
      error: (error) => this.events.emit('error', error),
    });
    this.transport = new ReconnectingSocket(this.options, {
      frame: (data) => this.onFrame(data),
      lost: (loss) => this.onLost(loss),
      error: (error) => this.events.emit('error', error),
    });
    this.transport.start();
  }

  /** `connecting` (never ready yet), `connected`, `reconnecting`, or `closed` (for good). */
  get state(): ClientState {
    return this.currentState;
  }

  /** The session's id (its direct topic is `$dws/conn/<connectionId>`), or null before the first `welcome`. */
  get connectionId(): string | null {
    return this.sessionState.connectionId;
  }

  /** What a later client needs to resume this session (e.g. after a page reload), or null before the first `welcome`. */
  get session(): ClientSession | null {
    return this.sessionState.snapshot();
  }

  /**
   * Listens to a client event (`connected`, `disconnected`, `notRecovered`, `error`).
   * @returns a function that removes the listener.
   */
  on<E extends keyof ClientEvents>(
    event: E,
    listener: (value: ClientEvents[E]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Receives the messages of every topic `pattern` matches (MQTT wildcards `+` and `#`). Handlers
   * of one pattern share one server subscription; while disconnected the subscription waits for
   * the next connection, and every resume restores it.
   *
   * @param options `info`: what others see about this client in the topic's presence.
   * @returns a function that unsubscribes this handler, with `ready` (resolves once the server
   *   accepted the pattern, rejects with its refusal, which is also emitted as `error`).
   * @throws DwsClientError `DWS_ERR_INVALID_TOPIC` or `DWS_ERR_RESERVED_TOPIC` for a pattern the
   *   server would refuse anyway, `DWS_CLIENT_CLOSED` after `close()`.
   * @example
   * const off = client.subscribe('chat/rooms/+', (message, { topic }) => show(topic, message));
   * await off.ready;
   * client.subscribe('chat/rooms/42', show, { info: { name: 'Ada' } });
   */
  subscribe<P extends string>(
    pattern: P,
    handler: MessageHandler<PayloadOf<Topics, P>>,
    options: SubscribeOptions = {},
  ): Subscription {
    const problem = validateTopicFilter(pattern);
    if (problem) throw new DwsClientError(ErrorCode.InvalidTopic, problem);
    if (isReservedTopic(pattern)) {
      throw new DwsClientError(
        ErrorCode.ReservedTopic,
        `Topic "${pattern}" is reserved to the server: use onDirect().`,
      );
    }
    if (this.currentState === 'closed') throw closedError();
    return this.subscriptions.add(pattern, handler as MessageHandler, options.info);
  }

  /**
   * Who is subscribed to `topic` (an exact topic declared with `@Topic({ presence })`), on every
   * server instance. Joins and leaves arrive as `presence` events while subscribed.
   * @returns the members, ordered by `connectionId`.
   * @throws DwsClientError (rejects) `DWS_ERR_PRESENCE_DISABLED`, `DWS_ERR_FORBIDDEN` (not allowed
   *   to subscribe to it), and as {@link publish} does.
   * @example
   * const members = await client.presence('chat/rooms/42');
   * client.on('presence', ({ topic, action, member }) => update(topic, action, member));
   */
  async presence(topic: string): Promise<PresenceMember[]> {
    const ack = (await this.request(ReservedEvent.Presence, { topic })) as PresenceAck;
    return ack.members;
  }

  /**
   * Receives direct messages: `$dws/broadcast`, `$dws/conn/<connectionId>`, `$dws/user/<userId>`.
   * @returns a function that removes the handler.
   */
  onDirect(handler: MessageHandler): () => void {
    return this.subscriptions.addDirect(handler);
  }

  /**
   * Publishes a message. Made while disconnected, it is sent once a connection is ready.
   * @returns the `ack` data: the topic and the offset where the message was stored.
   * @throws DwsClientError (rejects) with the server's code (`DWS_ERR_INVALID_PAYLOAD`, …),
   *   `DWS_CLIENT_TIMEOUT`, `DWS_CLIENT_DISCONNECTED` (sent, but the connection dropped before
   *   the answer: it may have been published), or `DWS_CLIENT_CLOSED`.
   */
  publish<T extends string>(topic: T, payload: PayloadOf<Topics, T>): Promise<PublishAck> {
    return this.request(ReservedEvent.Publish, { topic, payload }) as Promise<PublishAck>;
  }

  /**
   * Sends a gateway event (`@SubscribeMessage(event)`) and resolves with the handler's return value.
   * @throws DwsClientError (rejects) as {@link publish} does, and `DWS_CLIENT_INVALID_ARGUMENT`
   *   for a reserved event name (use the dedicated methods).
   * @example
   * const { connections } = await client.call('stats', {}); // typed by the client's `Events`
   */
  call<E extends keyof Events & string>(
    event: E,
    ...data: CallData<Events, E>
  ): Promise<ReplyOf<Events, E>> {
    if (RESERVED_EVENTS.has(event)) {
      const message = `"${event}" is a reserved event: use subscribe(), publish(), presence() or the automatic resume.`;
      return Promise.reject(new DwsClientError(ClientErrorCode.InvalidArgument, message));
    }
    return this.request(event, data[0]) as Promise<ReplyOf<Events, E>>;
  }

  /** Closes the connection for good: no reconnect; pending requests reject with `DWS_CLIENT_CLOSED`. */
  close(): void {
    if (this.currentState === 'closed') return;
    const wasReady = this.transport.isReady;
    this.currentState = 'closed';
    this.sessionState.connectionLost();
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

  private request(event: string, data: unknown): Promise<unknown> {
    if (this.currentState === 'closed') return Promise.reject(closedError());
    return new Promise((resolve, reject) =>
      this.requests.add(event, data, this.send, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
  }

  private readonly send = (frame: string): boolean => this.transport.send(frame);

  private onFrame(raw: unknown): void {
    let frame: { event?: unknown; id?: unknown; data?: any };
    try {
      frame = JSON.parse(String(raw));
    } catch {
      return this.report(
        ClientErrorCode.BadServerFrame,
        'The server sent a frame that is not JSON',
      );
    }
    switch (frame?.event) {
      case ReservedEvent.Welcome:
        return this.onWelcome(frame.data as WelcomeData);
      case ReservedEvent.Message:
        return this.onMessage(frame.data as MessageData);
      case ReservedEvent.Positions:
        return this.sessionState.replacePositions(frame.data?.positions);
      case ReservedEvent.Presence:
        return this.events.emit('presence', frame.data as PresenceEventData);
      case ReservedEvent.Ack:
      case ReservedEvent.Error:
        if (this.requests.settle(frame.id, frame.event, frame.data)) return;
        if (frame.event === ReservedEvent.Error)
          this.events.emit('error', toClientError(frame.data));
        return;
      default:
      // Other events (a gateway's own pushes) are not part of the SDK's protocol: ignored, so
      // that a newer server can add events without breaking older clients.
    }
  }

  private onWelcome(welcome: WelcomeData): void {
    if (
      this.transport.isReady ||
      typeof welcome?.sessionToken !== 'string' ||
      !Array.isArray(welcome.positions)
    ) {
      return this.report(ClientErrorCode.BadServerFrame, 'Unexpected or malformed welcome frame');
    }
    this.transport.markReady(welcome.heartbeat);
    if (this.sessionState.canResume) this.resume(welcome);
    else this.startFresh(welcome, this.subscriptions.patterns());
    // After the subscribe/resume frames: the server handles a connection's frames in order, so
    // requests made while disconnected run on the restored session.
    this.requests.flush(this.send);
  }

  private resume(welcome: WelcomeData): void {
    const topics = this.subscriptions.patterns();
    const data = this.sessionState.resumeRequest(topics, this.subscriptions.info());
    this.requests.add(ReservedEvent.Resume, data, this.send, (error, result) => {
      // Lost before the answer: the next connection resumes again.
      if (error && isConnectionLoss(error)) return;
      // No answer: the connection is as good as dead. A late answer would find no request.
      if (error?.code === ClientErrorCode.Timeout) return this.transport.abandon(error.message);
      if (error) {
        this.startFresh(welcome, topics);
        return this.events.emit('notRecovered', { reason: 'session', error });
      }
      const ack = result as ResumeAck;
      this.sessionState.resumed(ack);
      this.subscriptions.restored(ack);
      this.connected({ connectionId: ack.connectionId, resumed: true, recovered: ack.recovered });
      if (!ack.recovered) this.events.emit('notRecovered', { reason: ack.reason ?? 'unknown' });
    });
  }

  /**
   * Adopts the connection's own session (first connection, or a resume the server refused) and
   * subscribes to `patterns` on it.
   */
  private startFresh(welcome: WelcomeData, patterns: string[]): void {
    this.sessionState.startFresh(welcome);
    this.subscriptions.resubscribe(patterns);
    this.connected({ connectionId: welcome.connectionId, resumed: false, recovered: false });
  }

  private connected(event: ConnectedEvent): void {
    this.currentState = 'connected';
    this.events.emit('connected', event);
  }

  private onMessage(message: MessageData): void {
    // Held back until the resume answer: see `SessionState.resuming`.
    if (this.sessionState.resuming) return;
    if (typeof message?.topic !== 'string') {
      return this.report(ClientErrorCode.BadServerFrame, 'A message frame without a topic');
    }
    if (!this.sessionState.accept(message.offset)) return;
    this.subscriptions.dispatch(message.payload, { topic: message.topic, offset: message.offset });
  }

  private onLost({ code, reason, wasReady, willReconnect }: SocketLoss): void {
    this.sessionState.connectionLost();
    const message = `The connection closed (${code}) before the answer arrived.`;
    this.requests.failSent(new DwsClientError(ClientErrorCode.Disconnected, message));
    if (this.currentState === 'closed') return;
    if (!willReconnect) {
      this.currentState = 'closed';
      const ended = `The server ended the session (${code}${reason ? ` ${reason}` : ''}).`;
      this.requests.failAll(new DwsClientError(ClientErrorCode.Closed, ended));
    } else if (this.currentState === 'connected') {
      this.currentState = 'reconnecting';
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

/**
 * Creates a client and starts connecting; same as `new DistributedWsClient(options)`.
 * @example
 * import WebSocket from 'ws';
 * const client = connect<ChatTopics>({ url: ['ws://a:3000/ws', 'ws://b:3000/ws'], WebSocket });
 */
export function connect<
  Topics extends TopicMap = Record<string, unknown>,
  Events extends EventMap = UntypedEvents,
>(options: DistributedWsClientOptions): DistributedWsClient<Topics, Events> {
  return new DistributedWsClient<Topics, Events>(options);
}

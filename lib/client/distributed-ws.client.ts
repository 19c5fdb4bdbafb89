import { ErrorCode } from '../protocol/error-codes.js';
import {
  ReservedEvent,
  type MessageData,
  type ResumeAck,
  type WelcomeData,
} from '../protocol/frames.js';
import { isReservedTopic, validateTopicFilter } from '../topics/topic-validation.js';
import { ClientErrorCode, DwsClientError } from './client.error.js';
import {
  type ClientSession,
  type DistributedWsClientOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
} from './client.options.js';
import type {
  ClientEvents,
  ConnectedEvent,
  MessageHandler,
  PayloadOf,
  Subscription,
  TopicMap,
} from './client.types.js';
import { TypedEmitter } from './emitter.js';
import { LocalSubscriptions, type PatternEntry } from './local-subscriptions.js';
import { PendingRequests } from './pending-requests.js';
import { ShardPositions } from './positions.js';
import { ReconnectingSocket, type SocketLoss } from './reconnecting-socket.js';

/** Where the client stands. */
export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** The `ack` data of a `publish`. */
export interface PublishAck {
  topic: string;
  /** Where the message was stored: `"<shard>:<epoch>:<id>"`. */
  offset: string;
}

const RESERVED_EVENTS = new Set<string>(Object.values(ReservedEvent));

/**
 * A client of a `nestjs-distributed-ws` server, for browsers and Node. It reconnects with
 * backoff (failing over between `url`s), resumes its session on every reconnection so that no
 * message is lost or duplicated within the server's retention window, and restores its
 * subscriptions.
 *
 * @typeParam Topics - payload types by topic (see {@link TopicMap}).
 * @example
 * const client = new DistributedWsClient({ url: 'wss://chat.example.com/ws' });
 * const leave = client.subscribe('chat/rooms/lobby', (message, { topic }) => render(message));
 * await client.publish('chat/rooms/lobby', { text: 'hi' });
 */
export class DistributedWsClient<Topics extends TopicMap = Record<string, unknown>> {
  private readonly options: ResolvedClientOptions;
  private readonly events = new TypedEmitter<ClientEvents>((error, event) => {
    // A throwing `error` listener is not reported again: that would loop.
    if (event !== 'error') {
      this.report(ClientErrorCode.HandlerFailed, `A "${String(event)}" listener threw`, error);
    }
  });
  private readonly requests: PendingRequests;
  private readonly subscriptions = new LocalSubscriptions();
  private readonly directHandlers = new Set<MessageHandler>();
  private readonly positions = new ShardPositions();
  private readonly transport: ReconnectingSocket;
  private currentState: ClientState = 'connecting';
  private sessionToken: string | null = null;
  private sessionId: string | null = null;
  /** The fresh `welcome` of a connection whose `resume` is unanswered. */
  private resuming: WelcomeData | null = null;

  /**
   * Validates the options and starts connecting.
   * @throws DwsClientError `DWS_CLIENT_INVALID_ARGUMENT` when an option is wrong.
   */
  constructor(options: DistributedWsClientOptions) {
    this.options = resolveClientOptions(options);
    this.requests = new PendingRequests(this.options.ackTimeoutMs);
    if (this.options.session) {
      this.sessionToken = this.options.session.token;
      this.positions.replaceAll(this.options.session.positions);
    }
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
    return this.sessionId;
  }

  /** What a later client needs to resume this session (e.g. after a page reload), or null before the first `welcome`. */
  get session(): ClientSession | null {
    return this.sessionToken === null
      ? null
      : { token: this.sessionToken, positions: this.positions.toArray() };
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
   * @returns a function that unsubscribes this handler, with `ready` (resolves once the server
   *   accepted the pattern, rejects with its refusal, which is also emitted as `error`).
   * @throws DwsClientError `DWS_ERR_INVALID_TOPIC` or `DWS_ERR_RESERVED_TOPIC` for a pattern the
   *   server would refuse anyway, `DWS_CLIENT_CLOSED` after `close()`.
   * @example
   * const off = client.subscribe('chat/rooms/+', (message, { topic }) => show(topic, message));
   * await off.ready;
   */
  subscribe<P extends string>(
    pattern: P,
    handler: MessageHandler<PayloadOf<Topics, P>>,
  ): Subscription {
    const problem = validateTopicFilter(pattern);
    if (problem) throw new DwsClientError(ErrorCode.InvalidTopic, problem);
    if (isReservedTopic(pattern)) {
      throw new DwsClientError(
        ErrorCode.ReservedTopic,
        `Topic "${pattern}" is reserved to the server: use onDirect().`,
      );
    }
    if (this.currentState === 'closed') {
      throw new DwsClientError(ClientErrorCode.Closed, 'The client was closed.');
    }
    // A wrapper per call: the same function subscribed twice is two registrations.
    const registration: MessageHandler = (payload, meta) =>
      handler(payload as PayloadOf<Topics, P>, meta);
    const { entry, created } = this.subscriptions.add(pattern, registration);
    if (created && this.transport.isReady) this.sendSubscribe(entry);
    const unsubscribe = () => {
      if (this.subscriptions.remove(entry, registration) && this.transport.isReady) {
        this.sendUnsubscribe(pattern);
      }
    };
    return Object.assign(unsubscribe, { ready: entry.ready });
  }

  /**
   * Receives direct messages: `$dws/broadcast`, `$dws/conn/<connectionId>`, `$dws/user/<userId>`.
   * @returns a function that removes the handler.
   */
  onDirect(handler: MessageHandler): () => void {
    const registration: MessageHandler = (payload, meta) => handler(payload, meta);
    this.directHandlers.add(registration);
    return () => {
      this.directHandlers.delete(registration);
    };
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
   * const { connections } = await client.call<{ connections: number }>('stats', {});
   */
  call<R = unknown>(event: string, data?: unknown): Promise<R> {
    if (RESERVED_EVENTS.has(event)) {
      const message = `"${event}" is a reserved event: use subscribe(), publish() or the automatic resume.`;
      return Promise.reject(new DwsClientError(ClientErrorCode.InvalidArgument, message));
    }
    return this.request(event, data) as Promise<R>;
  }

  /** Closes the connection for good: no reconnect; pending requests reject with `DWS_CLIENT_CLOSED`. */
  close(): void {
    if (this.currentState === 'closed') return;
    const wasReady = this.transport.isReady;
    this.currentState = 'closed';
    this.resuming = null;
    this.transport.close(1000, 'client closed');
    this.requests.failAll(new DwsClientError(ClientErrorCode.Closed, 'The client was closed.'));
    if (wasReady) {
      this.events.emit('disconnected', {
        code: 1000,
        reason: 'client closed',
        willReconnect: false,
      });
    }
  }

  private request(event: string, data: unknown): Promise<unknown> {
    if (this.currentState === 'closed') {
      return Promise.reject(new DwsClientError(ClientErrorCode.Closed, 'The client was closed.'));
    }
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
        // During a resume these are the new connection's positions: adopting them would skip
        // exactly the messages the replay is about to deliver.
        if (!this.resuming && Array.isArray(frame.data?.positions)) {
          this.positions.replaceAll(frame.data.positions);
        }
        return;
      case ReservedEvent.Ack:
      case ReservedEvent.Error:
        if (this.requests.settle(frame.id, frame.event, frame.data)) return;
        if (frame.event === ReservedEvent.Error) {
          const { code, message } = frame.data ?? {};
          this.events.emit(
            'error',
            new DwsClientError(code ?? ClientErrorCode.BadServerFrame, String(message)),
          );
        }
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
    if (this.sessionToken === null) {
      this.startFresh(welcome, this.subscriptions.patterns());
      this.connected({ connectionId: welcome.connectionId, resumed: false, recovered: false });
    } else {
      this.resume(welcome);
    }
    // After the subscribe/resume frames: the server handles a connection's frames in order, so
    // requests made while disconnected run on the restored session.
    this.requests.flush(this.send);
  }

  private resume(welcome: WelcomeData): void {
    this.resuming = welcome;
    const topics = this.subscriptions.patterns();
    const data = { token: this.sessionToken, topics, positions: this.positions.toArray() };
    this.requests.add(ReservedEvent.Resume, data, this.send, (error, result) => {
      // Lost before the answer: the next connection resumes again.
      if (error?.code === ClientErrorCode.Disconnected || error?.code === ClientErrorCode.Closed) {
        return;
      }
      // No answer: the connection is as good as dead. A late answer would find no request.
      if (error?.code === ClientErrorCode.Timeout) return this.transport.abandon(error.message);
      this.resuming = null;
      if (error) {
        this.startFresh(welcome, topics);
        this.connected({ connectionId: welcome.connectionId, resumed: false, recovered: false });
        return this.events.emit('notRecovered', { reason: 'session', error });
      }
      const ack = result as ResumeAck;
      this.sessionToken = ack.sessionToken;
      this.sessionId = ack.connectionId;
      for (const topic of ack.topics) this.subscriptions.get(topic)?.confirm();
      for (const { topic, code, message } of ack.rejected) {
        this.refused(topic, new DwsClientError(code, message), this.subscriptions.get(topic));
      }
      this.connected({ connectionId: ack.connectionId, resumed: true, recovered: ack.recovered });
      if (!ack.recovered) this.events.emit('notRecovered', { reason: ack.reason ?? 'unknown' });
    });
  }

  /** Adopts the connection's own session (first connection, or a resume the server refused). */
  private startFresh(welcome: WelcomeData, patterns: string[]): void {
    this.sessionToken = welcome.sessionToken;
    this.sessionId = welcome.connectionId;
    this.positions.replaceAll(welcome.positions);
    for (const pattern of patterns) {
      const entry = this.subscriptions.get(pattern);
      if (entry) this.sendSubscribe(entry);
    }
  }

  private connected(event: ConnectedEvent): void {
    this.currentState = 'connected';
    this.events.emit('connected', event);
  }

  private onMessage(message: MessageData): void {
    // Between a reconnection's welcome and the resume answer, live messages are ones the replay
    // will deliver (the server's snapshot is taken after them): taking them now would move the
    // positions past the gap and make the dedupe drop the replay.
    if (this.resuming) return;
    if (typeof message?.topic !== 'string') {
      return this.report(ClientErrorCode.BadServerFrame, 'A message frame without a topic');
    }
    if (!this.positions.accept(message.offset)) return;
    const meta = { topic: message.topic, offset: message.offset };
    const onError = (error: unknown) =>
      this.report(ClientErrorCode.HandlerFailed, `A handler of "${message.topic}" threw`, error);
    if (message.topic.startsWith('$')) {
      for (const handler of [...this.directHandlers]) {
        try {
          handler(message.payload, meta);
        } catch (error) {
          onError(error);
        }
      }
    } else {
      this.subscriptions.dispatch(message.payload, meta, onError);
    }
  }

  private sendSubscribe(entry: PatternEntry): void {
    this.requests.add(ReservedEvent.Subscribe, { topic: entry.pattern }, this.send, (error) => {
      if (!error) return entry.confirm();
      // The next connection's resume carries the pattern again.
      if (error.code === ClientErrorCode.Disconnected) return;
      // A late answer may still come after a timeout: keep the pattern, the next resume has it.
      this.refused(entry.pattern, error, entry, error.code !== ClientErrorCode.Timeout);
    });
  }

  private sendUnsubscribe(pattern: string): void {
    this.requests.add(ReservedEvent.Unsubscribe, { topic: pattern }, this.send, (error) => {
      if (
        error &&
        error.code !== ClientErrorCode.Disconnected &&
        error.code !== ClientErrorCode.Closed
      ) {
        this.events.emit('error', error);
      }
    });
  }

  /** A subscription failed: reject its `ready`, emit `error` and (unless told not to) forget the pattern. */
  private refused(
    pattern: string,
    cause: DwsClientError,
    entry?: PatternEntry,
    forget = true,
  ): void {
    if (entry && forget) this.subscriptions.drop(entry);
    // Server refusals name the pattern already; timeouts and the like do not.
    const message = cause.message.includes(`"${pattern}"`)
      ? cause.message
      : `Subscription to "${pattern}" failed: ${cause.message}`;
    const error = new DwsClientError(cause.code, message, { ...cause.details, topic: pattern });
    entry?.fail(error);
    this.events.emit('error', error);
  }

  private onLost({ code, reason, wasReady, willReconnect }: SocketLoss): void {
    this.resuming = null;
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
    const detail = cause instanceof Error ? `: ${cause.message}` : '.';
    this.events.emit('error', new DwsClientError(code, what + detail, {}, { cause }));
  }
}

/**
 * Creates a client and starts connecting; same as `new DistributedWsClient(options)`.
 * @example
 * import WebSocket from 'ws';
 * const client = connect<ChatTopics>({ url: ['ws://a:3000/ws', 'ws://b:3000/ws'], WebSocket });
 */
export function connect<Topics extends TopicMap = Record<string, unknown>>(
  options: DistributedWsClientOptions,
): DistributedWsClient<Topics> {
  return new DistributedWsClient<Topics>(options);
}

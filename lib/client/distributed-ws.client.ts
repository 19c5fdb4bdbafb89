import { ErrorCode } from '../protocol/error-codes.js';
import { ReservedEvent, type PresenceAck, type PresenceMember } from '../protocol/frames.js';
import { isReservedTopic, validateTopicFilter } from '../topics/topic-validation.js';
import { ClientErrorCode, DwsClientError } from './client.error.js';
import {
  type ClientSession,
  type DistributedWsClientOptions,
  resolveClientOptions,
} from './client.options.js';
import type {
  CallData,
  ClientEvents,
  ClientState,
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
import { ClientRuntime, closedError } from './client-runtime.js';

const RESERVED_EVENTS = new Set<string>(Object.values(ReservedEvent));

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
  private readonly runtime: ClientRuntime;

  /**
   * Validates the options and starts connecting.
   * @throws DwsClientError `DWS_CLIENT_INVALID_ARGUMENT` when an option is wrong.
   */
  constructor(options: DistributedWsClientOptions) {
    this.runtime = new ClientRuntime(resolveClientOptions(options));
  }

  /** `connecting` (never ready yet), `connected`, `reconnecting`, or `closed` (for good). */
  get state(): ClientState {
    return this.runtime.state;
  }

  /** The session's id (its direct topic is `$dws/conn/<connectionId>`), or null before the first `welcome`. */
  get connectionId(): string | null {
    return this.runtime.session.connectionId;
  }

  /** What a later client needs to resume this session (e.g. after a page reload), or null before the first `welcome`. */
  get session(): ClientSession | null {
    return this.runtime.session.snapshot();
  }

  /**
   * Listens to a client event (`connected`, `disconnected`, `notRecovered`, `error`).
   * @returns a function that removes the listener.
   */
  on<E extends keyof ClientEvents>(
    event: E,
    listener: (value: ClientEvents[E]) => void,
  ): () => void {
    return this.runtime.events.on(event, listener);
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
    if (this.runtime.state === 'closed') throw closedError();
    return this.runtime.subscriptions.add(pattern, handler as MessageHandler, options.info);
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
    const ack = (await this.runtime.request(ReservedEvent.Presence, { topic })) as PresenceAck;
    return ack.members;
  }

  /**
   * Receives direct messages: `$dws/broadcast`, `$dws/conn/<connectionId>`, `$dws/user/<userId>`.
   * @returns a function that removes the handler.
   */
  onDirect(handler: MessageHandler): () => void {
    return this.runtime.subscriptions.addDirect(handler);
  }

  /**
   * Publishes a message. Made while disconnected, it is sent once a connection is ready.
   * @returns the `ack` data: the topic and the offset where the message was stored.
   * @throws DwsClientError (rejects) with the server's code (`DWS_ERR_INVALID_PAYLOAD`, …),
   *   `DWS_CLIENT_TIMEOUT`, `DWS_CLIENT_DISCONNECTED` (sent, but the connection dropped before
   *   the answer: it may have been published), or `DWS_CLIENT_CLOSED`.
   */
  publish<T extends string>(topic: T, payload: PayloadOf<Topics, T>): Promise<PublishAck> {
    return this.runtime.request(ReservedEvent.Publish, { topic, payload }) as Promise<PublishAck>;
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
    return this.runtime.request(event, data[0]) as Promise<ReplyOf<Events, E>>;
  }

  /** Closes the connection for good: no reconnect; pending requests reject with `DWS_CLIENT_CLOSED`. */
  close(): void {
    this.runtime.close();
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

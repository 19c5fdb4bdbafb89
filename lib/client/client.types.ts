import type { PresenceEventData, PublishAck } from '../protocol/frames.js';
import type { DwsClientError } from './client.error.js';

export type { PublishAck };

/** Where the client stands. */
export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Payload of the `connected` event. */
export interface ConnectedEvent {
  /** The session id: the server's `$dws/conn/<connectionId>` topic reaches this client. */
  connectionId: string;
  /** True when the previous session was continued (its subscriptions and direct topics). */
  resumed: boolean;
  /**
   * True when no message was missed while away. False on a fresh session and whenever
   * `notRecovered` is emitted.
   */
  recovered: boolean;
}

/** Payload of the `disconnected` event. */
export interface DisconnectedEvent {
  /** The WebSocket close code (1006 when the connection was lost without a close frame). */
  code: number;
  reason: string;
  /** False after `close()`, a session take-over (4003), a normal close by the server (1000), or an auth failure (1008) without a new token. */
  willReconnect: boolean;
}

/** Payload of the `notRecovered` event. */
export interface NotRecoveredEvent {
  /**
   * Why the missed messages cannot be replayed: `window` (away longer than the retention),
   * `epoch` (the backplane lost its logs), `limit` (too many missed), `positions` (the positions
   * sent were not usable), or `session` (the server refused the session token; `error` says why).
   */
  reason: string;
  error?: DwsClientError;
}

/** Events of a `DistributedWsClient`, for `client.on(event, listener)`. */
export interface ClientEvents {
  /** The connection is ready: after the `welcome`, or after the `resume` answer on a reconnection. */
  connected: ConnectedEvent;
  /** A connection that was ready is gone, or the client gave up (`willReconnect: false`). */
  disconnected: DisconnectedEvent;
  /** Messages were missed and cannot be replayed: reload the application's state. Subscriptions are restored anyway. */
  notRecovered: NotRecoveredEvent;
  /** Something went wrong that no promise reports: a refused subscription, a failed handler, an unexpected frame. */
  error: DwsClientError;
  /**
   * A connection joined or left a subscribed topic whose declaration announces it
   * (`@Topic({ presence: { joinLeave: true } })`). Not replayed after a reconnection: on
   * `connected`, ask `presence(topic)` again.
   */
  presence: PresenceEventData;
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /**
   * What other clients see about this one in `presence(topic)` answers and join/leave events
   * (any JSON, 1 KiB by default at most). Kept for an exact topic that tracks presence, and sent
   * again on every resume. Only the first `subscribe` of a pattern sets it.
   */
  info?: unknown;
}

/** Where a delivered message came from. */
export interface MessageMeta {
  /** The concrete topic the message was published to. */
  topic: string;
  /** Its offset `"<shard>:<epoch>:<id>"`. */
  offset: string;
}

/** Receives the messages of a subscription. */
export type MessageHandler<T = unknown> = (payload: T, meta: MessageMeta) => void;

/**
 * Payload types by topic, for `DistributedWsClient<TopicMap>`. Keys may be template literal
 * types, which cover both the concrete topics (publish) and the patterns (subscribe):
 *
 * @example
 * interface ChatTopics {
 *   [room: `chat/rooms/${string}`]: { text: string; author?: string; sentAt?: string };
 * }
 * const client = connect<ChatTopics>({ url });
 * client.subscribe('chat/rooms/+', (message) => message.text); // typed
 */
export type TopicMap = object;

/** The payload type of `topic` in `Topics`, `unknown` for a topic the map does not know. */
export type PayloadOf<Topics extends TopicMap, K extends string> = K extends keyof Topics
  ? Topics[K]
  : unknown;

/**
 * Request and reply types by gateway event, for `DistributedWsClient<Topics, Events>`: each key
 * is an event name with `{ request; reply }`, the `data` `call` sends and what it resolves with.
 * `dws-asyncapi --types` generates it from the `@DescribeEvent()` declarations.
 *
 * @example
 * interface ChatEvents {
 *   stats: { request: Record<string, never>; reply: { connections: number } };
 * }
 * const client = connect<ChatTopics, ChatEvents>({ url });
 * const { connections } = await client.call('stats', {}); // client.call('nope') does not compile
 */
export type EventMap = object;

/** Any event, with untyped data and reply: what `call` accepts when no `EventMap` is given. */
export type UntypedEvents = Record<string, { request: unknown; reply: unknown }>;

/** The request type of `event` in `Events`, `unknown` when the map does not say. */
export type RequestOf<Events extends EventMap, E extends string> = E extends keyof Events
  ? Events[E] extends { request: infer Request }
    ? Request
    : unknown
  : unknown;

/** The reply type of `event` in `Events`, `unknown` when the map does not say. */
export type ReplyOf<Events extends EventMap, E extends string> = E extends keyof Events
  ? Events[E] extends { reply: infer Reply }
    ? Reply
    : unknown
  : unknown;

/** The `data` argument of `call`: optional only when the request type admits `undefined`. */
export type CallData<Events extends EventMap, E extends string> =
  undefined extends RequestOf<Events, E>
    ? [data?: RequestOf<Events, E>]
    : [data: RequestOf<Events, E>];

/**
 * What `subscribe` returns: call it to unsubscribe. `ready` resolves once the server has
 * accepted the subscription, or rejects with the server's error (`DWS_ERR_FORBIDDEN`, …).
 */
export interface Subscription {
  (): void;
  readonly ready: Promise<void>;
}

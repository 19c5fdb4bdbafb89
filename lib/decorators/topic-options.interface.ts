import type { JsonSchema } from '../protocol/json-schema.js';

export type { JsonSchema } from '../protocol/json-schema.js';

/** Documentation and validation of one template parameter (`{roomId}`). */
export interface TopicParameterOptions {
  description?: string;
  /** Regular expression the value must match (anchored), e.g. `'^[0-9]+$'`. */
  pattern?: string;
  /** Allowed values. */
  enum?: string[];
  /** Example values, shown in the AsyncAPI document. */
  examples?: string[];
}

/** Options of `@Topic(template, options)`. */
export interface TopicOptions {
  /**
   * JSON Schema of the payload. Validates client publishes (invalid → `DWS_ERR_INVALID_PAYLOAD`,
   * never delivered) and `Broadcaster.publish` calls, and becomes the message payload in AsyncAPI.
   * @default {} (any JSON value)
   */
  payload?: JsonSchema;
  /** One line for the AsyncAPI channel. */
  summary?: string;
  /** Longer text (CommonMark) for the AsyncAPI channel. */
  description?: string;
  /**
   * Whether clients may publish to this topic with a `publish` frame. The server (through the
   * `Broadcaster`) always can.
   * @default false
   */
  clientsMayPublish?: boolean;
  /**
   * Whether clients may subscribe to this topic.
   * @default true
   */
  clientsMaySubscribe?: boolean;
  /**
   * Whether a subscription may leave parameters of this template open with a wildcard
   * (`chat/rooms/+` and `chat/#` leave `roomId` open), so that one subscription covers topics
   * the `@OnSubscribe` hooks never saw. Refused patterns get `DWS_ERR_WILDCARD_NOT_ALLOWED`.
   * With `true`, the hooks are asked about such patterns and told which parameters are open
   * (`SubscribeContext.openParams`): allow them only if every topic they cover may be read.
   * `false` refuses them even without a hook.
   * @default true without an `@OnSubscribe` hook, false with one (a hook that denies by
   *   parameter could not see what a wildcard covers)
   * @example
   * ```ts
   * @Topic('chat/rooms/{roomId}', { wildcards: true })
   * // in the gateway: staff may follow every room, others one room at a time, never "staff"
   * @OnSubscribe('chat/rooms/{roomId}')
   * canRead(ctx: SubscribeContext<{ roomId: string }, User>) {
   *   if (ctx.principal.staff) return true;
   *   return ctx.openParams.length === 0 && ctx.params.roomId !== 'staff';
   * }
   * ```
   */
  wildcards?: boolean;
  /** Parameter docs and validation, by name. */
  params?: Record<string, TopicParameterOptions>;
  /**
   * Name of the message in AsyncAPI.
   * @default derived from the template: `chat/rooms/{roomId}` → `ChatRoomsMessage`
   */
  messageName?: string;
  /** Example payloads for the AsyncAPI document. */
  examples?: unknown[];
  /**
   * Tracks who is subscribed to each concrete topic of this template, cluster-wide: clients ask
   * with a `presence` request, the server with `Broadcaster.presence(topic)`. Only exact-topic
   * subscriptions count (a `chat/rooms/+` subscriber is not present in `chat/rooms/42`).
   * `true` tracks; `{ joinLeave: true }` also sends a `presence` frame to the topic's subscribers
   * whenever a connection joins or leaves.
   * @default false
   * @example
   * ```ts
   * @Topic('chat/rooms/{roomId}', { presence: { joinLeave: true } })
   * ```
   */
  presence?: boolean | PresenceOptions;
}

/** The object form of `@Topic({ presence })`. */
export interface PresenceOptions {
  /**
   * Send `{"event":"presence","data":{"topic","action":"join"|"leave","member"}}` to every
   * subscriber of the topic when a connection joins or leaves it.
   * @default false
   */
  joinLeave?: boolean;
}

/** Options of `@DescribeEvent()` for a `@SubscribeMessage()` handler. */
export interface EventOptions {
  /** JSON Schema of `data` in the client's frame; validated before the handler runs. */
  payload?: JsonSchema;
  /** JSON Schema of the handler's reply (the `data` of the `ack`). */
  reply?: JsonSchema;
  summary?: string;
  description?: string;
}

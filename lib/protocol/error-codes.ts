/**
 * Stable codes carried by `error` frames (`{"event":"error","data":{"code":…}}`).
 * They are part of the public protocol: never renamed, only added. Listed in docs/protocol.md.
 */
export const ErrorCode = {
  /** The text frame is not valid JSON. */
  BadJson: 'DWS_ERR_BAD_JSON',
  /** The frame is JSON but not `{"event": string, "id"?: string|number, "data"?: any}`. */
  BadFrame: 'DWS_ERR_BAD_FRAME',
  /** A binary frame arrived; the protocol is JSON text frames only. */
  BinaryFrame: 'DWS_ERR_BINARY_FRAME',
  /** The frame nests deeper than `maxDepth`. */
  TooDeep: 'DWS_ERR_TOO_DEEP',
  /** No reserved event and no gateway handler has this name. */
  UnknownEvent: 'DWS_ERR_UNKNOWN_EVENT',
  /** `data` of a reserved event does not have the documented shape. */
  BadRequest: 'DWS_ERR_BAD_REQUEST',
  /** The topic or pattern is not syntactically valid (empty level, misplaced wildcard, too long…). */
  InvalidTopic: 'DWS_ERR_INVALID_TOPIC',
  /** The topic or pattern matches no topic declared by a gateway. */
  UnknownTopic: 'DWS_ERR_UNKNOWN_TOPIC',
  /** Topics starting with `$` belong to the server (broadcast, connections, users). */
  ReservedTopic: 'DWS_ERR_RESERVED_TOPIC',
  /** The payload does not satisfy the topic's declared schema. */
  InvalidPayload: 'DWS_ERR_INVALID_PAYLOAD',
  /** Clients may not publish to this topic (`clientsMayPublish` is false). */
  PublishNotAllowed: 'DWS_ERR_PUBLISH_NOT_ALLOWED',
  /** An authorization hook, a guard or the principal's rights denied the action. */
  Forbidden: 'DWS_ERR_FORBIDDEN',
  /**
   * The pattern leaves a parameter open (`chat/rooms/+`, `chat/#`) of a topic whose subscriptions
   * an `@OnSubscribe` hook authorizes, and the topic does not accept such patterns
   * (`@Topic(template, { wildcards: true })`): subscribe to each topic instead.
   */
  WildcardNotAllowed: 'DWS_ERR_WILDCARD_NOT_ALLOWED',
  /** The connection holds `maxSubscriptions` subscriptions already. */
  TooManySubscriptions: 'DWS_ERR_TOO_MANY_SUBSCRIPTIONS',
  /** The connection sends frames faster than its rate limit (`rateLimit`) allows. */
  RateLimited: 'DWS_ERR_RATE_LIMITED',
  /**
   * The backplane cannot take the message right now (Redis unreachable); retry later. Also a
   * publish stored on the Redis primary but not on `publishReplicas` replicas in time.
   */
  BrokerUnavailable: 'DWS_ERR_BROKER_UNAVAILABLE',
  /** The session token is malformed, forged, expired, signed with another secret or owned by someone else. */
  InvalidSession: 'DWS_ERR_INVALID_SESSION',
  /** A `refresh` on a connection whose credentials do not expire (anonymous, or no `expiresAt`). */
  NotRefreshable: 'DWS_ERR_NOT_REFRESHABLE',
  /** `authenticate` refused the token of a `refresh` (invalid, expired, or it threw). */
  Unauthorized: 'DWS_ERR_UNAUTHORIZED',
  /** A gateway handler or hook threw a `WsException`; its message is passed on. */
  Rejected: 'DWS_ERR_REJECTED',
  /** A gateway handler or hook threw an `HttpException`; `data.status` holds its HTTP status. */
  HttpException: 'DWS_ERR_HTTP_EXCEPTION',
  /** A `presence` request names a topic whose declaration does not track presence. */
  PresenceDisabled: 'DWS_ERR_PRESENCE_DISABLED',
  /** Anything else went wrong on the server; details are logged there, never sent. */
  Internal: 'DWS_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A code as it appears on the wire: one of ours, or an application's own (a `WsException`
 * thrown with `{ code, message }` keeps its code). `string & {}` keeps editor completion of ours.
 */
export type WireErrorCode = ErrorCode | (string & {});

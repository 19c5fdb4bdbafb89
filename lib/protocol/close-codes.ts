/**
 * WebSocket close codes the server uses. Listed with their meaning in docs/protocol.md.
 * 4000–4999 are application codes (RFC 6455 §7.4.2).
 */
export const CloseCode = {
  /** The server closed the connection on purpose (`Broadcaster.disconnect`) without a code of its own. */
  Normal: 1000,
  /** The client broke RFC 6455 framing (unmasked frame, reserved bits, unknown opcode…). Sent by `ws` itself. */
  FramingError: 1002,
  /** A text frame (or a close reason) was not valid UTF-8 (RFC 6455 §8.1). Sent by `ws` itself. */
  InvalidUtf8: 1007,
  /** Authentication failed (when `authFailure` is `'close'`), or another policy was violated. */
  PolicyViolation: 1008,
  /** A frame exceeded `maxPayload`. Sent by `ws` itself before the frame is read. */
  MessageTooBig: 1009,
  /** An unexpected server error. */
  InternalError: 1011,
  /** The instance is shutting down; reconnect (to any instance) and resume. */
  ServiceRestart: 1012,
  /**
   * A `resume` could not read the backplane; the session is intact: reconnect and resume again.
   * Also sent, with `authFailure: 'close'`, when `authenticate` did not answer within `authTimeoutMs`.
   */
  TryAgainLater: 1013,
  /** The connection could not keep up: its send buffer passed `maxBufferedBytes`. Resume to catch up. */
  SlowConsumer: 4001,
  /** The connection kept sending frames past its rate limit (`rateLimit`). */
  RateLimited: 4002,
  /**
   * The connection sent frames faster than they were answered: more than `maxPendingFrames`
   * (or `maxPendingBytes`) were waiting. Wait for answers before sending more.
   */
  TooManyPendingFrames: 4005,
  /** The session was resumed on another connection; this one is obsolete. */
  SessionTakenOver: 4003,
  /** The credentials `authenticate` accepted expired and no `refresh` replaced them in time. */
  CredentialsExpired: 4004,
  /**
   * The backplane lost messages of a shard holding one of the connection's topics (a Redis
   * replica promoted without the newest entries): resume; the answer is `recovered: false`.
   */
  HistoryChanged: 4006,
  /** The WebSocket proxy could not reach or lost its upstream. */
  UpstreamUnavailable: 4502,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

import { ACCESS_TOKEN_QUERY } from '../protocol/credentials.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { AsyncApiSecurityInput } from './asyncapi.interface.js';

// Typed as Record<…> so that a code added to the protocol without a line here fails to compile.
const ERROR_TEXT: Record<ErrorCode, string> = {
  [ErrorCode.BadJson]: 'The text frame is not valid JSON.',
  [ErrorCode.BadFrame]:
    'The frame is not `{"event": string, "id"?: string|integer, "data"?: any}`.',
  [ErrorCode.BinaryFrame]: 'A binary frame arrived; only JSON text frames are accepted.',
  [ErrorCode.TooDeep]: 'The frame nests objects/arrays deeper than the server allows (default 32).',
  [ErrorCode.UnknownEvent]: 'No reserved event and no gateway handler has this name.',
  [ErrorCode.BadRequest]: '`data` of a reserved event does not have the documented shape.',
  [ErrorCode.InvalidTopic]:
    'The topic or pattern is malformed, too long, or a parameter value breaks its rule.',
  [ErrorCode.UnknownTopic]: 'The topic or pattern matches no declared topic.',
  [ErrorCode.ReservedTopic]: 'Topics starting with `$` belong to the server.',
  [ErrorCode.InvalidPayload]: "The payload does not satisfy the topic's or event's schema.",
  [ErrorCode.PublishNotAllowed]: 'Clients may not publish to this topic.',
  [ErrorCode.Forbidden]: 'An authorization hook or guard denied the action.',
  [ErrorCode.WildcardNotAllowed]:
    "The pattern leaves open a parameter that the topic's subscribe hook decides on: subscribe to each topic.",
  [ErrorCode.TooManySubscriptions]: 'The connection already holds the most subscriptions allowed.',
  [ErrorCode.RateLimited]:
    'The connection sends frames faster than its rate limit; `data.retryAfterMs` says when to retry.',
  [ErrorCode.BrokerUnavailable]: 'The backplane cannot take the message right now; retry later.',
  [ErrorCode.InvalidSession]:
    'The session token of `resume` is forged, truncated, expired or owned by someone else.',
  [ErrorCode.NotRefreshable]:
    'A `refresh` on a connection whose credentials do not expire (anonymous, or no `expiresAt`).',
  [ErrorCode.Unauthorized]:
    'The token of a `refresh` was refused (invalid or expired); the connection keeps its old credentials until they expire.',
  [ErrorCode.Rejected]: 'A handler or hook threw a `WsException`; its message is passed on.',
  [ErrorCode.HttpException]:
    'A handler or hook threw an `HttpException`; `data.status` holds its HTTP status.',
  [ErrorCode.PresenceDisabled]:
    'The topic does not track presence (its `@Topic` has no `presence`).',
  [ErrorCode.Internal]: 'Anything else; details are logged on the server, never sent.',
};

const CLOSE_TEXT: Record<keyof typeof CloseCode, string> = {
  Normal: 'Closed on purpose by the application.',
  FramingError: 'The client broke the WebSocket framing (RFC 6455), e.g. an unmasked frame.',
  InvalidUtf8: 'A text frame was not valid UTF-8.',
  PolicyViolation: 'Authentication failed or another policy was violated.',
  MessageTooBig: 'A frame exceeded the largest size accepted (default 64 KiB).',
  InternalError: 'An unexpected server error.',
  ServiceRestart: 'The instance is shutting down: reconnect (to any instance) and `resume`.',
  TryAgainLater:
    'A `resume` could not read the backplane, or authentication did not answer in time; the session is intact: reconnect (after a backoff) and `resume` again.',
  SlowConsumer: 'The client could not keep up with its messages: reconnect and `resume`.',
  RateLimited: 'The connection kept sending frames past its rate limit.',
  TooManyPendingFrames:
    'More frames were waiting for their answers than the server holds for one connection: wait for answers before sending more.',
  SessionTakenOver: 'The session was resumed on another connection; this one is obsolete.',
  CredentialsExpired:
    'The credentials expired and no `refresh` replaced them in time: reconnect with a new token and `resume`.',
  UpstreamUnavailable: 'A WebSocket proxy lost its upstream; reconnect.',
  HistoryChanged:
    'The backplane lost messages on a topic of the connection (a Redis replica was promoted without the newest entries): reconnect and `resume`; the answer is `recovered: false` (`epoch`).',
};

/** A Markdown table of the error codes, in protocol order. */
export function errorCodeTable(): string {
  return codeTable(Object.values(ErrorCode).map((code) => [`\`${code}\``, ERROR_TEXT[code]]));
}

/** A Markdown table of the close codes, by number. */
export function closeCodeTable(): string {
  return codeTable(
    (Object.keys(CloseCode) as (keyof typeof CloseCode)[])
      .sort((a, b) => CloseCode[a] - CloseCode[b])
      .map((name) => [String(CloseCode[name]), CLOSE_TEXT[name]]),
  );
}

function codeTable(rows: [code: string, meaning: string][]): string {
  // A bare `|` ends a GFM table cell even inside a code span (`string|integer` left the viewer
  // showing the backtick and half the cell); `\|` is the escape tables honour there too.
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const lines = rows.map(([code, meaning]) => `| ${cell(code)} | ${cell(meaning)} |`);
  return ['| code | meaning |', '| --- | --- |', ...lines].join('\n');
}

/** How to authenticate, in words, for the connection channel and the servers. */
export function securityText(security: AsyncApiSecurityInput): string {
  const ways: string[] = [];
  if (security.header) ways.push('an `Authorization: Bearer <token>` header');
  if (security.query)
    ways.push(`the \`${security.query.name ?? ACCESS_TOKEN_QUERY}\` query parameter`);
  if (security.subprotocol) ways.push('the `Sec-WebSocket-Protocol` header (browsers)');
  const lines = [
    `Clients authenticate on the upgrade request with ${ways.join(', or ') || 'credentials'}.`,
    security.optional
      ? 'Credentials are optional: a connection without them is anonymous.'
      : 'Credentials are required.',
  ];
  if (security.failure) lines.push(security.failure);
  return lines.join(' ');
}

/** The connection channel's own text: short, since viewers repeat it under every operation. */
export const CONNECTION_DESCRIPTION =
  'The WebSocket connection itself: JSON text frames `{"event": string, "id"?: string|integer, "data"?: any}` carrying the control protocol and the gateways\' events. A frame with an `id` is answered with an `ack` or an `error` carrying the same `id`.';

/**
 * The protocol in a few paragraphs, enough to write a client with a raw WebSocket; appended
 * to `info.description`, which viewers show once, at the top.
 */
export function protocolOverview(security?: AsyncApiSecurityInput): string {
  return [
    '### WebSocket protocol',
    'Every frame is a JSON text frame `{"event": string, "id"?: string|integer, "data"?: any}`; binary frames are refused. The frames are the messages of the `connection` channel; each declared topic is a channel of its own.',
    ...(security ? [securityText(security)] : []),
    [
      '1. On connect the server sends `welcome` with the connection id, a session token and one position per shard.',
      '2. `subscribe` / `unsubscribe` take a pattern: a topic, or MQTT wildcards (`+` one level, `#` the rest).',
      '3. Deliveries arrive as `message` frames `{topic, offset, payload}`. Keep the newest `offset` per shard (its first field), and update them from `positions` frames.',
      '4. After a lost connection, connect to any instance and send `resume` with the session token, your patterns and positions. Its `ack` says `recovered: true` (the missed messages follow: no loss, no duplicate) or `false` (reload your state).',
    ].join('\n'),
    'A frame with an `id` is answered with an `ack` or an `error` carrying the same `id`; without an `id`, success is silent and failures are still reported. Errors carry a stable `code` (see the `error` message).',
    '#### Close codes',
    closeCodeTable(),
  ].join('\n\n');
}

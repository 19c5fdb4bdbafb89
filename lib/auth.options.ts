import type { IncomingMessage } from 'node:http';

/**
 * What `authenticate` returns for an accepted client. `userId` is required because the library
 * itself needs it: it names the personal topic `$dws/user/<userId>` (`Broadcaster.sendToUser`,
 * `disconnectUser`) and binds session tokens to their owner so a resume can't change user.
 * Anything else on the object is yours and reaches hooks, guards and `@Principal()` as is.
 */
export interface AuthenticatedPrincipal {
  /** Stable id of the user: 1–128 characters, no `/`, `+`, `#`. */
  userId: string;
  /**
   * When these credentials stop being valid, in ms since the epoch (like `Date.now()`; a JWT's
   * `exp` is in seconds: `payload.exp * 1000`). Shortly before then (10% of the lifetime, at most
   * 30 s) the server sends the client a `refresh` frame; a client that answers with a new token
   * of the same user keeps its connection, any other is closed with 4004 at this time. Absent:
   * the connection never expires. A value in the past refuses the handshake like `null`.
   * @default undefined (never expires)
   * @example
   * ```ts
   * return { userId: payload.sub, expiresAt: payload.exp * 1000 };
   * ```
   */
  expiresAt?: number;
  [key: string]: unknown;
}

/**
 * Decides who connects, once per WebSocket handshake.
 * @param request the HTTP upgrade request (headers, cookies, URL, remote address)
 * @param token the bearer token found by the built-in extraction (see `tokenSources`), or null
 * @returns the principal, or null to refuse. Throwing refuses too; an `HttpException` thrown
 *   here keeps its status (e.g. 403, 503) when `authFailure` is `'reject'`.
 */
export type Authenticate<P extends AuthenticatedPrincipal = AuthenticatedPrincipal> = (
  request: IncomingMessage,
  token: string | null,
) => P | null | Promise<P | null>;

/**
 * Where the built-in extraction looks for a bearer token, in the order given:
 * - `'header'`: `Authorization: Bearer <token>` (servers, Node clients, proxies);
 * - `'protocol'`: `Sec-WebSocket-Protocol: dws.bearer, <token>`, the only header a browser's
 *   `new WebSocket(url, ['dws.bearer', token])` can set; the server answers `dws.bearer`;
 * - `'query'`: `?access_token=<token>` (what the client SDK sends; it can end up in access logs).
 */
export type TokenSource = 'header' | 'protocol' | 'query';

/**
 * What a refused handshake gets.
 * - `'reject'`: HTTP 401 at the upgrade (no WebSocket is opened). Browsers only see a 1006 close.
 * - `'close'`: the WebSocket opens and is closed at once with 1008, which browsers can read.
 */
export type AuthFailureMode = 'reject' | 'close';

/**
 * Which `Origin` headers may connect: exact origins (`'https://app.example.com'`), regular
 * expressions, or a function. Requests without an `Origin` (non-browser clients) always pass:
 * the check protects browsers against cross-site WebSocket hijacking, and anything else can
 * send whatever `Origin` it likes anyway.
 */
export type OriginAllowList = readonly (string | RegExp)[] | ((origin: string) => boolean);

/** The kinds of client frames the rate limit tells apart, each with its own cost. */
export type RateLimitedFrame =
  | 'publish'
  | 'subscribe'
  | 'unsubscribe'
  | 'presence'
  | 'resume'
  | 'refresh'
  /** A frame for a gateway's `@SubscribeMessage()` handler (or an unknown event). */
  | 'event'
  /** Binary, not JSON, not a frame, or nested too deep. */
  | 'invalid';

/**
 * One token bucket per connection over every client frame: each frame spends its kind's `cost`,
 * the bucket refills at `perSecond` up to `burst`. Over budget a frame is answered
 * `DWS_ERR_RATE_LIMITED` (with `retryAfterMs`) and not run; after `closeAfter` refusals in a row
 * the connection is closed with 4002.
 */
export interface RateLimitOptions {
  /** Tokens added per second: the sustained rate, in cost units. @default 100 */
  perSecond: number;
  /** Bucket size: what may arrive at once after a quiet period, in cost units. @default 200 */
  burst: number;
  /**
   * Consecutive refused frames after which the connection is closed with 4002. A client that
   * slows down when it gets `DWS_ERR_RATE_LIMITED` is never closed.
   * @default 50
   */
  closeAfter: number;
  /**
   * Tokens each kind of frame spends. Fields left out keep their default.
   * @default { publish: 1, subscribe: 1, unsubscribe: 1, event: 1, invalid: 1, presence: 5, refresh: 5, resume: 20 }
   */
  cost: Record<RateLimitedFrame, number>;
}

/** What `rateLimit` accepts: any field may be left out. */
export type RateLimitInput = Partial<Omit<RateLimitOptions, 'cost'>> & {
  cost?: Partial<Record<RateLimitedFrame, number>>;
};

/**
 * The former publish-only budget.
 * @deprecated use `rateLimit`, which covers every client frame; `publishRate`'s numbers become
 *   its `perSecond`, `burst` and `closeAfter`.
 */
export type PublishRateOptions = Pick<RateLimitOptions, 'perSecond' | 'burst' | 'closeAfter'>;

/**
 * Checks a resolved `rateLimit` option at boot.
 * @returns what is wrong with it, or null.
 */
export function rateLimitProblem(rate: unknown): string | null {
  if (rate === false) return null;
  if (!rate || typeof rate !== 'object') {
    return 'must be false or { perSecond, burst, closeAfter, cost }';
  }
  const { perSecond, burst, closeAfter, cost } = rate as Record<string, unknown>;
  if (typeof perSecond !== 'number' || !(perSecond > 0) || !Number.isFinite(perSecond)) {
    return `"perSecond" must be a positive number, got ${String(perSecond)}`;
  }
  for (const [key, value] of [
    ['burst', burst],
    ['closeAfter', closeAfter],
  ] as const) {
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      return `"${key}" must be a positive integer, got ${String(value)}`;
    }
  }
  if (cost === null || typeof cost !== 'object') {
    return `"cost" must be an object of frame kinds to costs, got ${String(cost)}`;
  }
  for (const [kind, value] of Object.entries(cost)) {
    if (!RATE_LIMITED_FRAMES.includes(kind as RateLimitedFrame)) {
      return `"cost" has an unknown frame kind "${kind}" (kinds: ${RATE_LIMITED_FRAMES.join(', ')})`;
    }
    if (typeof value !== 'number' || !(value >= 0) || value > (burst as number)) {
      return `"cost.${kind}" must be a number from 0 to "burst" (${String(burst)}), got ${String(value)}`;
    }
  }
  return null;
}

const RATE_LIMITED_FRAMES: readonly RateLimitedFrame[] = [
  'publish',
  'subscribe',
  'unsubscribe',
  'presence',
  'resume',
  'refresh',
  'event',
  'invalid',
];

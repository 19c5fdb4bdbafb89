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

/** Per-connection token bucket for client `publish` frames. */
export interface PublishRateOptions {
  /** Tokens added per second: the sustained publish rate. @default 50 */
  perSecond: number;
  /** Bucket size: how many publishes may arrive at once after a quiet period. @default 100 */
  burst: number;
  /**
   * Consecutive refused publishes after which the connection is closed with 4002. A client that
   * slows down when it gets `DWS_ERR_RATE_LIMITED` is never closed.
   * @default 50
   */
  closeAfter: number;
}

/**
 * Checks a `publishRate` option at boot.
 * @returns what is wrong with it, or null.
 */
export function publishRateProblem(rate: unknown): string | null {
  if (rate === false) return null;
  if (!rate || typeof rate !== 'object') return 'must be false or { perSecond, burst, closeAfter }';
  const { perSecond, burst, closeAfter } = rate as Record<string, unknown>;
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
  return null;
}

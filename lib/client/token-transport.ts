import { BEARER_PROTOCOL } from '../protocol/credentials.js';
import { withToken } from './server-urls.js';

/**
 * Where the SDK puts the bearer token in the upgrade request:
 * - `'auto'`: `'header'` with a WebSocket class that takes headers (`ws`), `'protocol'` otherwise
 *   (browsers, whose WebSocket can set no header);
 * - `'header'`: `Authorization: Bearer <token>` (needs `ws`'s WebSocket);
 * - `'protocol'`: `Sec-WebSocket-Protocol: dws.bearer, <token>` (any WebSocket; the token must be
 *   made of the characters such a value allows: letters, digits and ``!#$%&'*+-.^_`|~``, which a
 *   JWT is);
 * - `'query'`: `?access_token=<token>` in the URL. URLs end up in access logs, proxies' and the
 *   server's, and in browser history: use it only for a server that reads nothing else.
 */
export type TokenTransport = 'auto' | 'header' | 'protocol' | 'query';

/** The arguments of `new WebSocket(...)` for one attempt, or why the token can't be carried. */
export type Handshake =
  | { url: string; protocols?: string[]; options?: { headers: Record<string, string> } }
  | { problem: string };

// RFC 7230 `token`: what a Sec-WebSocket-Protocol value may hold (RFC 6455 §4.1).
const PROTOCOL_VALUE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `WebSocket` is `ws`'s, whose constructor takes headers (browsers' has no `terminate`). */
export function takesHeaders(WebSocket: abstract new (...args: never[]) => unknown): boolean {
  return (
    typeof (WebSocket as { prototype?: { terminate?: unknown } }).prototype?.terminate ===
    'function'
  );
}

/** `'auto'` made concrete for this WebSocket class. */
export function concreteTransport(
  transport: TokenTransport,
  WebSocket: abstract new (...args: never[]) => unknown,
): Exclude<TokenTransport, 'auto'> {
  if (transport !== 'auto') return transport;
  return takesHeaders(WebSocket) ? 'header' : 'protocol';
}

/** How an attempt to `url` carries `token` (none: a plain `new WebSocket(url)`). */
export function handshakeFor(
  url: string,
  token: string | undefined,
  transport: Exclude<TokenTransport, 'auto'>,
): Handshake {
  if (token === undefined) return { url };
  switch (transport) {
    case 'query':
      return { url: withToken(url, token) };
    case 'header':
      return { url, protocols: [], options: { headers: { Authorization: `Bearer ${token}` } } };
    case 'protocol':
      if (!PROTOCOL_VALUE.test(token)) {
        return {
          problem:
            "The token has characters a Sec-WebSocket-Protocol value can't carry (only letters, digits and !#$%&'*+-.^_`|~; a JWT fits): encode it (base64url), or set `tokenTransport: 'query'` to send it in the URL, where access logs keep it.",
        };
      }
      return { url, protocols: [BEARER_PROTOCOL, token] };
  }
}

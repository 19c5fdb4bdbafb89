import type { IncomingMessage } from 'node:http';
import type { TokenSource } from './auth-options.interface.js';

/** The subprotocol that announces a token in the next `Sec-WebSocket-Protocol` entry. */
export const BEARER_PROTOCOL = 'dws.bearer';

/** Every source, in the order they are tried by default. */
export const DEFAULT_TOKEN_SOURCES: readonly TokenSource[] = ['header', 'protocol', 'query'];

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Finds the bearer token of a WebSocket upgrade request in the given sources, first match wins.
 * @returns the token, or null when no source holds one.
 * @example
 * ```ts
 * extractToken(request); // 'eyJhbGciOi…' from "Authorization: Bearer eyJhbGciOi…"
 * ```
 */
export function extractToken(
  request: IncomingMessage,
  sources: readonly TokenSource[] = DEFAULT_TOKEN_SOURCES,
): string | null {
  for (const source of sources) {
    const token =
      source === 'header'
        ? fromAuthorization(request.headers.authorization)
        : source === 'protocol'
          ? fromProtocols(request.headers['sec-websocket-protocol'])
          : fromQuery(request.url);
    if (token) return token;
  }
  return null;
}

function fromAuthorization(header: string | undefined): string | null {
  return header ? (BEARER.exec(header)?.[1] ?? null) : null;
}

/** `Sec-WebSocket-Protocol: dws.bearer, <token>`: browsers can set no other header. */
export function fromProtocols(header: string | undefined): string | null {
  if (!header) return null;
  const protocols = header.split(',').map((p) => p.trim());
  const at = protocols.indexOf(BEARER_PROTOCOL);
  return at >= 0 && protocols[at + 1] ? protocols[at + 1] : null;
}

function fromQuery(url: string | undefined): string | null {
  const query = url?.indexOf('?') ?? -1;
  if (query < 0) return null;
  return new URLSearchParams(url!.slice(query + 1)).get('access_token') || null;
}

/**
 * Picks the subprotocol the server answers: never the token itself (it would be echoed into
 * response headers and logs). With `dws.bearer` offered, that is the answer; otherwise the
 * first protocol offered, as `ws` does by default.
 */
export function selectProtocol(protocols: Set<string>): string | false {
  if (protocols.has(BEARER_PROTOCOL)) return BEARER_PROTOCOL;
  const first = protocols.values().next();
  return first.done ? false : first.value;
}

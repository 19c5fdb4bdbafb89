import type { IncomingMessage } from 'node:http';
import { DEFAULT_OPTIONS } from '../distributed-ws.options.js';
import { ACCESS_TOKEN_QUERY, BEARER_PROTOCOL } from '../protocol/credentials.js';
import type { TokenSource } from '../auth.options.js';

export { BEARER_PROTOCOL } from '../protocol/credentials.js';

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
  sources: readonly TokenSource[] = DEFAULT_OPTIONS.tokenSources,
): string | null {
  for (const source of sources) {
    const token =
      source === 'header'
        ? fromAuthorization(request.headers.authorization)
        : source === 'protocol'
          ? fromProtocols(request.headers['sec-websocket-protocol'])
          : queryOf(request.url).get(ACCESS_TOKEN_QUERY) || null;
    if (token) return token;
  }
  return null;
}

/** The subprotocols a `Sec-WebSocket-Protocol` header offers, in order. */
export function offeredProtocols(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** The query string of a request URL (everything after the first `?`). */
export function queryOf(url: string | undefined): URLSearchParams {
  const at = url?.indexOf('?') ?? -1;
  return new URLSearchParams(at < 0 ? '' : url!.slice(at + 1));
}

function fromAuthorization(header: string | undefined): string | null {
  return header ? (BEARER.exec(header)?.[1] ?? null) : null;
}

/** `Sec-WebSocket-Protocol: dws.bearer, <token>`: browsers can set no other header. */
function fromProtocols(header: string | undefined): string | null {
  const protocols = offeredProtocols(header);
  const at = protocols.indexOf(BEARER_PROTOCOL);
  return at >= 0 ? (protocols[at + 1] ?? null) : null;
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

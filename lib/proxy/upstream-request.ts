import type { IncomingMessage } from 'node:http';
import { ACCESS_TOKEN_QUERY, BEARER_PROTOCOL } from '../protocol/credentials.js';
import { offeredProtocols, queryOf } from '../security/token-extraction.js';
import type { ResolvedWsProxyOptions } from './ws-proxy.options.js';

/** What the proxy opens the upstream WebSocket with. */
export interface UpstreamRequest {
  url: string;
  protocols: string[];
  headers: Record<string, string>;
  origin: string | undefined;
}

/**
 * The upstream handshake for a client's upgrade request: the upstream URL with the client's
 * query string, the client's subprotocols, and the headers an upstream needs to judge the client
 * as if it had connected directly (credentials when `forwardAuth`, `Origin`, `X-Forwarded-*`).
 */
export async function upstreamRequestFor(
  request: IncomingMessage,
  options: ResolvedWsProxyOptions,
): Promise<UpstreamRequest> {
  const base =
    typeof options.upstream === 'string' ? options.upstream : await options.upstream(request);
  const url = new URL(base);
  for (const [key, value] of queryOf(request.url)) {
    if (key !== ACCESS_TOKEN_QUERY || options.forwardAuth) url.searchParams.append(key, value);
  }
  const headers: Record<string, string> = {};
  const { authorization, cookie, 'user-agent': userAgent } = request.headers;
  if (options.forwardAuth && authorization) headers.authorization = authorization;
  if (options.forwardAuth && cookie) headers.cookie = cookie;
  if (userAgent) headers['user-agent'] = userAgent;
  const remote = request.socket.remoteAddress;
  const forwardedFor = request.headers['x-forwarded-for'];
  if (remote) headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${remote}` : remote;
  if (request.headers.host) headers['x-forwarded-host'] = request.headers.host;
  headers['x-forwarded-proto'] = (request.socket as { encrypted?: boolean }).encrypted
    ? 'wss'
    : 'ws';
  Object.assign(headers, options.headers?.(request));
  return {
    url: url.toString(),
    protocols: protocolsOf(request.headers['sec-websocket-protocol'], options.forwardAuth),
    headers,
    origin: request.headers.origin,
  };
}

/**
 * The client's subprotocols; unless credentials are forwarded, without any `dws.bearer` marker
 * nor the entry after each one (its token), however many pairs were offered.
 */
function protocolsOf(header: string | undefined, forwardAuth: boolean): string[] {
  const offered = offeredProtocols(header);
  if (forwardAuth) return [...new Set(offered)];
  const kept: string[] = [];
  for (let i = 0; i < offered.length; i++) {
    if (offered[i] === BEARER_PROTOCOL) i++;
    else kept.push(offered[i]);
  }
  return [...new Set(kept)];
}

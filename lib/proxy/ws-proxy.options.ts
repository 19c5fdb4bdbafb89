import type { IncomingMessage } from 'node:http';
import { WsProxyConfigError } from '../errors/ws-proxy-config.error.js';

/**
 * Options of `WsProxyModule.register()`: one path of this app forwarded to one upstream.
 * Import the module once per path to proxy several.
 */
export interface WsProxyOptions {
  /** Path of this app whose WebSocket upgrades are forwarded, e.g. `'/ws'` (exact match). */
  path: string;
  /**
   * The upstream WebSocket URL (`ws://chat:3000/ws`), or a function choosing it per request
   * (routing by tenant, header, …). The client's query string is appended to it.
   */
  upstream: string | ((request: IncomingMessage) => string | Promise<string>);
  /**
   * Forward the client's credentials to the upstream: the `Authorization` and `Cookie` headers,
   * every `access_token` query parameter and every `dws.bearer`, `<token>` pair in
   * `Sec-WebSocket-Protocol`. When false all of them are stripped, and the upstream sees an
   * anonymous client.
   * @default true
   */
  forwardAuth?: boolean;
  /** Extra headers for the upstream handshake (e.g. an internal service credential). */
  headers?: (request: IncomingMessage) => Record<string, string>;
  /**
   * How long dialing the upstream may take, in ms: choosing it (an `upstream` function) and its
   * WebSocket handshake together. Then the client is accepted and closed with 4502.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * Proxied WebSockets this path holds at most, upstream dials in progress included; past it,
   * upgrades get HTTP 503 without the upstream being dialed.
   * @default 10000
   */
  maxConnections?: number;
  /**
   * Bytes queued toward one side after which the other side is no longer read (TCP backpressure
   * reaches the fast peer); reading resumes when the queue is below half of it.
   * @default 1048576 (1 MiB)
   */
  highWaterMark?: number;
  /**
   * Largest message accepted from either side, in bytes; a bigger one closes that side with 1009.
   * @default 1048576 (1 MiB)
   */
  maxPayload?: number;
}

/** Options with every default applied. */
export type ResolvedWsProxyOptions = Required<Omit<WsProxyOptions, 'headers'>> &
  Pick<WsProxyOptions, 'headers'>;

export const DEFAULT_PROXY_OPTIONS = {
  forwardAuth: true,
  connectTimeoutMs: 5000,
  maxConnections: 10_000,
  highWaterMark: 1024 * 1024,
  maxPayload: 1024 * 1024,
} as const;

/** Applies the defaults and checks the options once. @throws WsProxyConfigError */
export function resolveProxyOptions(input: WsProxyOptions): ResolvedWsProxyOptions {
  if (typeof input?.path !== 'string' || !input.path.startsWith('/')) {
    throw new WsProxyConfigError(`"path" must start with "/", got ${String(input?.path)}.`);
  }
  if (typeof input.upstream === 'string') {
    if (!/^wss?:\/\/[^/]/.test(input.upstream)) {
      throw new WsProxyConfigError(
        `"upstream" must be a ws:// or wss:// URL, got "${input.upstream}".`,
      );
    }
  } else if (typeof input.upstream !== 'function') {
    throw new WsProxyConfigError('"upstream" must be a ws:// URL or a function returning one.');
  }
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const options = { ...DEFAULT_PROXY_OPTIONS, ...defined } as ResolvedWsProxyOptions;
  for (const key of [
    'connectTimeoutMs',
    'maxConnections',
    'highWaterMark',
    'maxPayload',
  ] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] <= 0) {
      throw new WsProxyConfigError(
        `"${key}" must be a positive integer, got ${String(options[key])}.`,
      );
    }
  }
  return options;
}

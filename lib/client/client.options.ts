import { ClientErrorCode, DwsClientError } from './client.error.js';
import { concreteTransport, takesHeaders, type TokenTransport } from './token-transport.js';

/**
 * The part of the WHATWG `WebSocket` the SDK uses. The browser's `WebSocket` and the `ws`
 * package's both provide it.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: any) => void) | null;
}

/**
 * A `WebSocket` class: `globalThis.WebSocket` in browsers, `import WebSocket from 'ws'` in Node.
 * It gets the subprotocols that carry the token, and with `ws` the headers as a third argument.
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string[],
  options?: { headers: Record<string, string> },
) => unknown;

/** Returns the bearer token for the next connection, or for a refresh the server asked for. */
export type TokenProvider = () => string | Promise<string>;

/**
 * What a client needs to continue its session on a new connection (even after a page reload:
 * store it in `sessionStorage` and pass it back as `session`).
 */
export interface ClientSession {
  /** The session token of the last `welcome` or `resume` answer. */
  token: string;
  /** The newest offset received on each shard. */
  positions: string[];
}

/** Options of `connect()` / `new DistributedWsClient()`. Only `url` is required. */
export interface DistributedWsClientOptions {
  /**
   * The server's WebSocket URL (`ws://host:port/ws`), or several instances' URLs. The first
   * connection goes to the first URL; each reconnection to one of the others, in a random order
   * that tries every one of them before any twice. A client thus fails over between instances and
   * resumes on whichever answers, and the clients of an instance that went away spread over the
   * rest. To spread first connections too, give each client the list in its own order.
   */
  url: string | readonly string[];
  /**
   * Returns the bearer token: called before every connection attempt, and each time the server
   * says the credentials are about to expire (a `refresh` frame), whose answer it sends on the
   * same connection. After a close with 1008 (refused) or 4004 (expired) the client reconnects,
   * and resumes, only if this returns a different token. `tokenTransport` says where it goes.
   * @default no token
   * @example
   * getToken: async () => (await auth.currentSession()).accessToken,
   */
  getToken?: TokenProvider;
  /**
   * A fixed token, or a provider (the same as `getToken`; give one of the two). A fixed token
   * can't be renewed: when it expires the server closes with 4004 and the client stops.
   * @default no token
   */
  token?: string | TokenProvider;
  /**
   * Where the token goes in the upgrade request. The default keeps it out of URLs, which access
   * logs keep: an `Authorization` header with `ws`'s WebSocket, the `dws.bearer` subprotocol
   * otherwise (browsers). `'query'` puts it in the URL (`?access_token=`): only for a server
   * that reads nothing else.
   * @default 'auto'
   */
  tokenTransport?: TokenTransport;
  /**
   * The `WebSocket` class to use.
   * @default globalThis.WebSocket (browsers, Node 22+); in Node 20 pass `ws`'s.
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Shortest reconnect delay and base of the exponential backoff, in ms.
   * @default 250
   */
  minDelayMs?: number;
  /**
   * Longest reconnect delay, in ms.
   * @default 10000
   */
  maxDelayMs?: number;
  /**
   * How long `publish`, `call` and `subscribe` wait for their answer, in ms, counted from the
   * call (time spent waiting for a connection counts).
   * @default 10000
   */
  ackTimeoutMs?: number;
  /**
   * How long a connection attempt may take until the server's `welcome`, in ms; then the next
   * URL is tried.
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * A session to resume on the first connection (see {@link ClientSession}). If the server
   * refuses it, the client starts a fresh session and emits `notRecovered`.
   * @default none: the first connection starts a fresh session
   */
  session?: ClientSession;
  /**
   * Source of random numbers in [0, 1) for the backoff jitter and the order of failover URLs;
   * for tests.
   * @default Math.random
   */
  random?: () => number;
}

/** Options with every default applied. */
export interface ResolvedClientOptions {
  urls: string[];
  token?: TokenProvider;
  tokenTransport: Exclude<TokenTransport, 'auto'>;
  WebSocket: WebSocketConstructor;
  minDelayMs: number;
  maxDelayMs: number;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  session?: ClientSession;
  random: () => number;
}

/** Defaults of {@link DistributedWsClientOptions}. */
export const CLIENT_DEFAULTS = {
  minDelayMs: 250,
  maxDelayMs: 10_000,
  ackTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
} as const;

/**
 * Applies the defaults and checks the options, so that a mistake fails at `connect()` with a
 * message saying what to fix rather than as an endless reconnect loop.
 * @throws DwsClientError `DWS_CLIENT_INVALID_ARGUMENT`
 */
export function resolveClientOptions(options: DistributedWsClientOptions): ResolvedClientOptions {
  const urls = typeof options?.url === 'string' ? [options.url] : [...(options?.url ?? [])];
  if (urls.length === 0) {
    invalid('`url` is required: the server\'s WebSocket URL, e.g. "ws://localhost:3000/ws".');
  }
  for (const url of urls) {
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      invalid(`\`url\` "${url}" is not an absolute URL: write it like "wss://example.com/ws".`);
    }
    if (!['ws:', 'wss:', 'http:', 'https:'].includes(protocol)) {
      invalid(`\`url\` "${url}" must use ws:// or wss://.`);
    }
  }
  const WebSocket =
    options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof WebSocket !== 'function') {
    invalid(
      'No WebSocket implementation: pass `WebSocket` (e.g. `import WebSocket from "ws"` in Node 20).',
    );
  }
  const resolved: ResolvedClientOptions = {
    urls,
    token: tokenProvider(options),
    tokenTransport: transportFor(options.tokenTransport ?? 'auto', WebSocket),
    WebSocket,
    minDelayMs: options.minDelayMs ?? CLIENT_DEFAULTS.minDelayMs,
    maxDelayMs: options.maxDelayMs ?? CLIENT_DEFAULTS.maxDelayMs,
    ackTimeoutMs: options.ackTimeoutMs ?? CLIENT_DEFAULTS.ackTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs,
    session: options.session,
    random: options.random ?? Math.random,
  };
  for (const key of ['minDelayMs', 'maxDelayMs', 'ackTimeoutMs', 'connectTimeoutMs'] as const) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value <= 0) {
      invalid(`\`${key}\` must be a positive number of ms, got ${value}.`);
    }
  }
  if (resolved.maxDelayMs < resolved.minDelayMs) {
    invalid(
      `\`maxDelayMs\` (${resolved.maxDelayMs}) must not be below \`minDelayMs\` (${resolved.minDelayMs}).`,
    );
  }
  if (
    resolved.session &&
    (typeof resolved.session.token !== 'string' || !Array.isArray(resolved.session.positions))
  ) {
    invalid(
      '`session` must be `{ token: string, positions: string[] }`, as read from `client.session`.',
    );
  }
  return resolved;
}

/** `getToken`, or `token` as a provider; both at once is a mistake. */
function tokenProvider(options: DistributedWsClientOptions): TokenProvider | undefined {
  const { getToken, token } = options;
  if (getToken !== undefined && token !== undefined) {
    invalid('Give `getToken` or `token`, not both.');
  }
  if (getToken !== undefined && typeof getToken !== 'function') {
    invalid('`getToken` must be a function returning the token (or a promise of it).');
  }
  if (typeof token === 'string') return () => token;
  if (token !== undefined && typeof token !== 'function') {
    invalid('`token` must be a string or a function returning the token.');
  }
  return getToken ?? token;
}

function transportFor(
  transport: TokenTransport,
  WebSocket: WebSocketConstructor,
): Exclude<TokenTransport, 'auto'> {
  if (!['auto', 'header', 'protocol', 'query'].includes(transport)) {
    invalid(
      `\`tokenTransport\` must be 'auto', 'header', 'protocol' or 'query', got ${String(transport)}.`,
    );
  }
  if (transport === 'header' && !takesHeaders(WebSocket)) {
    invalid(
      "`tokenTransport: 'header'` needs a WebSocket class that takes headers (`ws`'s); a browser's can't: use 'protocol'.",
    );
  }
  return concreteTransport(transport, WebSocket);
}

function invalid(message: string): never {
  throw new DwsClientError(ClientErrorCode.InvalidArgument, message);
}

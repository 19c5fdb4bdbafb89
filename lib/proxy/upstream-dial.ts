import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { upstreamRequestFor } from './upstream-request.js';
import type { ResolvedWsProxyOptions } from './ws-proxy.options.js';

// Upstream refusals whose headers the client needs to act on (authenticate, retry later).
const PASSED_HEADERS = ['www-authenticate', 'retry-after'] as const;
const BAD_GATEWAY = 502;

/** How dialing the upstream for one client ended. */
export type DialOutcome =
  /** The upstream accepted: this socket is open. */
  | { upstream: WebSocket }
  /** The upstream answered the handshake with an HTTP status: the client gets the same. */
  | { refusal: { status: number; headers: Record<string, string> } }
  /** No answer in time, refused connection, DNS, TLS, a throwing `upstream` function; or aborted. */
  | { unavailable: true };

/** A dial in progress. */
export interface UpstreamDial {
  /** Settles once, with the first outcome. */
  readonly outcome: Promise<DialOutcome>;
  /** Ends the dial, and closes the upstream socket even if it has opened already. */
  abort(): void;
}

/**
 * Opens the upstream WebSocket for a client's upgrade request (already validated). Every socket
 * it creates is handed to `track` before anything can happen to it, so that the proxy can
 * close it on any path. `connectTimeoutMs` bounds the whole dial: choosing the upstream (an
 * `upstream` function that never settles) and its handshake.
 */
export function dialUpstream(
  request: IncomingMessage,
  options: ResolvedWsProxyOptions,
  track: (upstream: WebSocket) => void,
): UpstreamDial {
  const deadline = Date.now() + options.connectTimeoutMs;
  let settle!: (outcome: DialOutcome) => void;
  const outcome = new Promise<DialOutcome>((resolve) => (settle = resolve));
  let upstream: WebSocket | null = null;
  let aborted = false;
  const abort = () => {
    aborted = true;
    upstream?.terminate();
    settle({ unavailable: true });
  };
  const timer = setTimeout(abort, options.connectTimeoutMs);
  void outcome.then(() => clearTimeout(timer));

  void upstreamRequestFor(request, options)
    .then((target) => {
      if (aborted) return;
      const socket = new WebSocket(target.url, target.protocols, {
        headers: target.headers,
        origin: target.origin,
        handshakeTimeout: Math.max(1, deadline - Date.now()),
        maxPayload: options.maxPayload,
        autoPong: false,
        perMessageDeflate: false,
      });
      upstream = socket;
      track(socket);
      socket.on('error', () => settle({ unavailable: true }));
      socket.once('open', () => {
        // Nothing is read until the link listens: the upstream's first frames (the `welcome`)
        // arrive while the client's upgrade is still being completed, and would be dropped.
        socket.pause();
        settle({ upstream: socket });
      });
      socket.once('unexpected-response', (_request, response) => {
        settle({
          refusal: {
            status: refusalStatus(response.statusCode),
            headers: passed(response.headers),
          },
        });
        response.resume();
        socket.terminate();
      });
    })
    // The `upstream` function threw, or `new WebSocket` refused its URL or a subprotocol.
    .catch(abort);
  return { outcome, abort };
}

/** The upstream's refusal status when it is one (4xx, 5xx); anything else is a bad gateway. */
function refusalStatus(status: number | undefined): number {
  return status !== undefined && status >= 400 && status <= 599 ? status : BAD_GATEWAY;
}

function passed(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') kept[name] = value;
  }
  return kept;
}

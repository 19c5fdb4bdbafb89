import type { WebSocket } from 'ws';
import { CloseCode } from '../protocol/close-codes.js';

const OPEN = 1;
const GOING_AWAY = 1001;
/** Codes a peer reports but that can't be sent in a close frame (RFC 6455 §7.4.1). */
const NO_STATUS = 1005;
const ABNORMAL = 1006;
const TLS_FAILURE = 1015;

/**
 * One client WebSocket joined to its upstream: messages both ways with their type (text or
 * binary), pings and pongs end to end (so the upstream's heartbeat measures the real client),
 * close codes and reasons passed on, and backpressure: when one side's send queue passes the
 * high-water mark, the other side is no longer read until it drains to half of it, so a slow
 * peer throttles the fast one through TCP instead of growing this process's memory.
 */
export class ProxyLink {
  /** Resolves once both sockets are closed. */
  readonly closed: Promise<void>;

  constructor(
    readonly client: WebSocket,
    readonly upstream: WebSocket,
    highWaterMark: number,
  ) {
    pipe(client, upstream, highWaterMark);
    pipe(upstream, client, highWaterMark);
    const bothClosed = [client, upstream].map((ws) => new Promise((r) => ws.once('close', r)));
    this.closed = Promise.all(bothClosed).then(() => undefined);
    // A client that vanished is "going away" for the upstream (it may resume elsewhere).
    client.once('close', (code: number, reason: Buffer) =>
      closeWith(upstream, code === ABNORMAL ? GOING_AWAY : code, reason),
    );
    // An upstream that vanished (killed, network cut, TLS failure) gets the proxy's own code.
    upstream.once('close', (code: number, reason: Buffer) =>
      code === ABNORMAL || code === TLS_FAILURE
        ? closeWith(client, CloseCode.UpstreamUnavailable, 'upstream unavailable')
        : closeWith(client, code, reason),
    );
    for (const ws of [client, upstream]) ws.on('error', () => undefined);
  }

  /** Closes both sides (proxy shutdown): the client with 1012 so it reconnects and resumes. */
  close(): void {
    closeWith(this.client, CloseCode.ServiceRestart, 'proxy restarting');
    closeWith(this.upstream, GOING_AWAY, 'proxy restarting');
  }
}

function pipe(from: WebSocket, to: WebSocket, highWaterMark: number): void {
  const lowWaterMark = highWaterMark / 2;
  // Runs when a message was handed to the kernel: the moment the queue can have shrunk.
  const written = () => {
    if (from.isPaused && to.bufferedAmount <= lowWaterMark) from.resume();
  };
  from.on('message', (data: Buffer, isBinary: boolean) => {
    if (to.readyState !== OPEN) return;
    to.send(data, { binary: isBinary }, written);
    if (to.bufferedAmount > highWaterMark) from.pause();
  });
  from.on('ping', (data: Buffer) => to.readyState === OPEN && to.ping(data));
  from.on('pong', (data: Buffer) => to.readyState === OPEN && to.pong(data));
}

/** Closes with the peer's code where it may be sent again, without a code otherwise. */
function closeWith(ws: WebSocket, code: number, reason: Buffer | string): void {
  // Already closing: its close frame is on its way; cutting the socket could drop it.
  if (ws.readyState !== OPEN) return;
  if (sendable(code)) ws.close(code, reason);
  else ws.close();
}

/** Codes RFC 6455 §7.4 lets an endpoint put in a close frame (1004 is reserved). */
function sendable(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== NO_STATUS && code !== ABNORMAL) ||
    (code >= 3000 && code <= 4999)
  );
}

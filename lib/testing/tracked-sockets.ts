import WebSocket from 'ws';
import type { WebSocketConstructor } from '../client/index.js';

/** The sockets one client opened (one per connection attempt), and why the last attempt failed. */
export interface ClientSockets {
  /** A `ws` class for the client's `WebSocket` option that records into this object. */
  readonly WebSocket: WebSocketConstructor;
  readonly sockets: Set<WebSocket>;
  /** The last socket error (`Unexpected server response: 401`, `connect ECONNREFUSED …`). */
  lastError: string | null;
}

/** A record of the client's sockets, through the `ws` class it hands to the SDK. */
export function trackClientSockets(): ClientSockets {
  const record: ClientSockets = {
    sockets: new Set(),
    lastError: null,
    WebSocket: class TrackedWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        record.sockets.add(this);
        // Alongside the SDK's `onerror`, which ignores errors (a close event always follows).
        this.on('error', (error: Error) => (record.lastError = error.message));
        this.once('close', () => record.sockets.delete(this));
      }
    },
  };
  return record;
}

/**
 * Resolves once every socket has emitted `close` (its TCP connection is gone, so nothing keeps
 * the test process alive). Sockets still open after `timeoutMs` are terminated.
 */
export async function socketsClosed(
  sockets: Iterable<WebSocket>,
  timeoutMs: number,
): Promise<void> {
  await Promise.all(
    [...sockets].map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => socket.terminate(), timeoutMs);
          socket.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          // A socket still connecting cannot send a close frame: `close()` aborts it.
          if (socket.readyState === WebSocket.CONNECTING) socket.close();
        }),
    ),
  );
}

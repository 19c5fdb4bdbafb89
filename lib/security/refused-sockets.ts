import type { WebSocket } from 'ws';
import { CloseCode } from '../protocol/close-codes.js';

/** A handshake refused with `authFailure: 'close'`: the close code and reason the socket gets. */
export interface Refusal {
  refused: true;
  code: number;
  reason: string;
}

/** `authenticate` refused (returned null or threw). */
export const UNAUTHORIZED: Refusal = {
  refused: true,
  code: CloseCode.PolicyViolation,
  reason: 'Unauthorized',
};

/** `authenticate` did not answer within `authTimeoutMs`: not the client's fault, try again. */
export const AUTH_TIMED_OUT: Refusal = {
  refused: true,
  code: CloseCode.TryAgainLater,
  reason: 'Authentication timed out',
};

/**
 * How long a socket refused with `authFailure: 'close'` has to answer the close frame before it
 * is terminated. A client's WebSocket answers within a round trip; without this bound `ws` waits
 * 30 s for a client that never answers (issue 17: ~334 refusals/s then held 10,000 sockets).
 */
export const REFUSED_CLOSE_GRACE_MS = 1000;

/**
 * Sockets opened only to be closed (`authFailure: 'close'`). They hold no connection slot: the
 * gate gave it back when it refused. What bounds them is the grace, and a cap of their own.
 */
export class RefusedSockets {
  private closing = 0;

  /** @param max refused sockets waiting for the client's close frame, at most. */
  constructor(private readonly max: number) {}

  /** Refused sockets waiting for the client's close frame. */
  get size(): number {
    return this.closing;
  }

  /**
   * Sends the refusal's close frame and terminates the socket if the client has not answered
   * within {@link REFUSED_CLOSE_GRACE_MS}. Past `max` sockets in that state, a new one is
   * terminated without a close frame, so a flood of refused upgrades holds at most `max` sockets.
   */
  close(ws: WebSocket, refusal: Refusal): void {
    if (this.closing >= this.max) return ws.terminate();
    this.closing++;
    ws.close(refusal.code, refusal.reason);
    const deadline = setTimeout(() => ws.terminate(), REFUSED_CLOSE_GRACE_MS);
    deadline.unref();
    ws.once('close', () => {
      clearTimeout(deadline);
      this.closing--;
    });
  }
}

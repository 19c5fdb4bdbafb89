import { ErrorCode } from '../protocol/error-codes.js';
import { ClientErrorCode, DwsClientError, toClientError } from './client.error.js';

/**
 * Requests sent and not answered yet, at most: half the server's default `maxPendingFrames` (64),
 * past which it closes the connection (4005). More wait here and go out as answers come in.
 */
const MAX_IN_FLIGHT = 32;

/**
 * Receives the outcome of a request. Called synchronously when its answer is read: with `ws`,
 * the frames that follow in the same TCP chunk are handled in the same tick, so a promise
 * continuation would run too late for a `resume` answer that changes how they are handled.
 */
export type RequestCallback = (error: DwsClientError | null, data?: unknown) => void;

interface Pending {
  /** The serialized frame, kept until it has been written to a connection. */
  frame: string;
  sent: boolean;
  callback: RequestCallback;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Client frames waiting for their `ack` or `error`, by id. A request made while no connection
 * is ready waits here unsent and goes out with the next connection; one already sent fails with
 * `DWS_CLIENT_DISCONNECTED` when its connection drops, because it may have taken effect and
 * sending it again could duplicate it.
 *
 * The client stays inside the server's limits by itself: at most MAX_IN_FLIGHT requests are out
 * at once, and a request refused with `DWS_ERR_RATE_LIMITED` (which the server did not run) is
 * sent again, after every request not yet sent, once `retryAfterMs` has passed, until its own
 * timeout. Nothing is sent meanwhile, so requests keep their order.
 */
export class PendingRequests {
  private nextId = 1;
  private readonly byId = new Map<number, Pending>();
  private inFlight = 0;
  private pausedUntil = 0;
  private resumeTimer: ReturnType<typeof setTimeout> | null = null;
  private lastSend: ((frame: string) => boolean) | null = null;

  constructor(private readonly timeoutMs: number) {}

  /**
   * Registers a request and sends it if `send` can (it returns whether the frame was written);
   * otherwise it waits for {@link flush}. `callback` runs exactly once.
   */
  add(
    event: string,
    data: unknown,
    send: (frame: string) => boolean,
    callback: RequestCallback,
  ): void {
    const id = this.nextId++;
    const frame = JSON.stringify({ event, id, data });
    const timer = setTimeout(() => {
      this.byId.delete(id);
      // Its slot is given back: a late answer finds no entry, so nothing else would ever free it.
      if (pending.sent) this.inFlight--;
      callback(
        new DwsClientError(
          ClientErrorCode.Timeout,
          `No answer to "${event}" within ${this.timeoutMs} ms.`,
        ),
      );
      if (this.lastSend) this.flush(this.lastSend);
    }, this.timeoutMs);
    const pending: Pending = { frame, sent: false, callback, timer };
    // Registered before sending: an answer can never arrive before its entry exists.
    this.byId.set(id, pending);
    this.lastSend = send;
    // Alone, not with what waits for a connection: the handshake's own frames go first. Nothing
    // waits for room here: every answer that makes room sends the oldest waiting at once.
    if (this.pausedUntil > Date.now() || this.inFlight >= MAX_IN_FLIGHT) return;
    if (send(frame)) {
      pending.sent = true;
      this.inFlight++;
    }
  }

  /** Sends the requests still waiting (for a connection, or for room), oldest first. */
  flush(send: (frame: string) => boolean): void {
    this.lastSend = send;
    if (this.pausedUntil > Date.now()) return;
    for (const pending of this.byId.values()) {
      if (this.inFlight >= MAX_IN_FLIGHT) return;
      if (pending.sent) continue;
      if (!send(pending.frame)) return;
      pending.sent = true;
      this.inFlight++;
    }
  }

  /**
   * Settles the request an `ack` or `error` frame answers.
   * @returns false when no request has this id (late answer after a timeout, or a foreign id).
   */
  settle(id: unknown, event: 'ack' | 'error', data: unknown): boolean {
    const pending = typeof id === 'number' ? this.byId.get(id) : undefined;
    if (!pending) return false;
    if (pending.sent) this.inFlight--;
    const retryAfterMs = event === 'error' ? rateLimitedFor(data) : null;
    if (retryAfterMs !== null) {
      pending.sent = false;
      this.pause(retryAfterMs);
      return true;
    }
    this.byId.delete(id as number);
    clearTimeout(pending.timer);
    if (event === 'ack') pending.callback(null, data);
    else pending.callback(toClientError(data));
    if (this.lastSend) this.flush(this.lastSend);
    return true;
  }

  /** Sends nothing for `ms`, then what waits, in order. */
  private pause(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = null;
      this.pausedUntil = 0;
      if (this.lastSend) this.flush(this.lastSend);
    }, ms);
  }

  /** Fails the requests already sent on a connection that just dropped. */
  failSent(error: DwsClientError): void {
    this.fail(error, (pending) => pending.sent);
  }

  /** Fails every request, sent or not (the client will not connect again). */
  failAll(error: DwsClientError): void {
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = null;
    this.fail(error, () => true);
  }

  private fail(error: DwsClientError, which: (pending: Pending) => boolean): void {
    // Removed before any callback runs: a listener reached from one may add a request that must stay.
    const failed = [...this.byId].filter(([, pending]) => which(pending));
    for (const [id, pending] of failed) {
      this.byId.delete(id);
      if (pending.sent) this.inFlight--;
    }
    for (const [, pending] of failed) {
      clearTimeout(pending.timer);
      pending.callback(error);
    }
  }
}

/** `retryAfterMs` of a `DWS_ERR_RATE_LIMITED` answer, or null for any other answer. */
function rateLimitedFor(data: unknown): number | null {
  const { code, retryAfterMs } = (data ?? {}) as { code?: unknown; retryAfterMs?: unknown };
  if (code !== ErrorCode.RateLimited || typeof retryAfterMs !== 'number') return null;
  return Math.max(0, Math.min(retryAfterMs, 60_000));
}

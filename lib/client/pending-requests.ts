import { ClientErrorCode, DwsClientError, toClientError } from './client.error.js';

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
 */
export class PendingRequests {
  private nextId = 1;
  private readonly byId = new Map<number, Pending>();

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
      callback(
        new DwsClientError(
          ClientErrorCode.Timeout,
          `No answer to "${event}" within ${this.timeoutMs} ms.`,
        ),
      );
    }, this.timeoutMs);
    const pending: Pending = { frame, sent: false, callback, timer };
    // Registered before sending: an answer can never arrive before its entry exists.
    this.byId.set(id, pending);
    pending.sent = send(frame);
  }

  /** Sends every request still waiting for a connection, oldest first. */
  flush(send: (frame: string) => boolean): void {
    for (const pending of this.byId.values()) {
      if (!pending.sent && send(pending.frame)) pending.sent = true;
    }
  }

  /**
   * Settles the request an `ack` or `error` frame answers.
   * @returns false when no request has this id (late answer after a timeout, or a foreign id).
   */
  settle(id: unknown, event: 'ack' | 'error', data: unknown): boolean {
    const pending = typeof id === 'number' ? this.byId.get(id) : undefined;
    if (!pending) return false;
    this.byId.delete(id as number);
    clearTimeout(pending.timer);
    if (event === 'ack') pending.callback(null, data);
    else pending.callback(toClientError(data));
    return true;
  }

  /** Fails the requests already sent on a connection that just dropped. */
  failSent(error: DwsClientError): void {
    this.fail(error, (pending) => pending.sent);
  }

  /** Fails every request, sent or not (the client will not connect again). */
  failAll(error: DwsClientError): void {
    this.fail(error, () => true);
  }

  private fail(error: DwsClientError, which: (pending: Pending) => boolean): void {
    // Removed before any callback runs: a listener reached from one may add a request that must stay.
    const failed = [...this.byId].filter(([, pending]) => which(pending));
    for (const [id] of failed) this.byId.delete(id);
    for (const [, pending] of failed) {
      clearTimeout(pending.timer);
      pending.callback(error);
    }
  }
}

import type { IncomingMessage } from 'node:http';
import { CloseCode } from '../protocol/close-codes.js';
import { encodeEvent } from '../protocol/codec.js';
import { ReservedEvent, type RefreshNeededData } from '../protocol/frames.js';
import { refreshAskedAt, timerDelay } from '../security/credential-expiry.js';
import type { Connection } from './connection.js';

/** What is kept for a connection whose credentials expire. */
export interface ExpiringCredentials {
  /** The upgrade request, which `authenticate` gets again with the refreshed token. */
  readonly request: IncomingMessage;
  /** In ms since the epoch. */
  readonly expiresAt: number;
  /** When the server sends the `refresh` frame, in ms since the epoch. */
  readonly askAt: number;
  /** The `refresh` frame was sent for this expiry. */
  asked: boolean;
  timer: NodeJS.Timeout;
}

/**
 * One timer per connection whose principal has an `expiresAt`: it sends the `refresh` frame a
 * little ahead of the expiry, then closes with 4004 at the expiry unless a refresh replaced the
 * credentials. Connections that never expire cost nothing here; an entry and its timer go with
 * the socket's close.
 */
export class CredentialClock {
  private readonly watched = new Map<Connection, ExpiringCredentials>();

  /** Connections with expiring credentials on this instance (each holds one timer). */
  get size(): number {
    return this.watched.size;
  }

  /** The expiring credentials of `connection`, or undefined when they never expire. */
  of(connection: Connection): ExpiringCredentials | undefined {
    return this.watched.get(connection);
  }

  /**
   * Starts (or, after a refresh, restarts) the countdown of `connection` to `expiresAt`. A
   * refresh that does not push the expiry later is not asked for again: a client holding one
   * fixed token would otherwise be asked in a loop until it expires.
   */
  watch(connection: Connection, request: IncomingMessage, expiresAt: number): void {
    // A closed socket emits no more 'close': its entry would never be removed.
    if (!connection.open) return this.forget(connection);
    const now = Date.now();
    const previous = this.watched.get(connection);
    if (previous) clearTimeout(previous.timer);
    else connection.onClose(() => this.forget(connection));
    const entry: ExpiringCredentials = {
      request,
      expiresAt,
      askAt: refreshAskedAt(now, expiresAt),
      asked: previous !== undefined && previous.asked && expiresAt <= previous.expiresAt,
      timer: undefined as unknown as NodeJS.Timeout,
    };
    this.watched.set(connection, entry);
    this.arm(connection, entry, now);
  }

  /** Stops the countdown: the connection closed, or its new credentials never expire. */
  forget(connection: Connection): void {
    const entry = this.watched.get(connection);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.watched.delete(connection);
  }

  private arm(connection: Connection, entry: ExpiringCredentials, now: number): void {
    const until = entry.asked ? entry.expiresAt : entry.askAt;
    entry.timer = setTimeout(() => this.wake(connection, entry), timerDelay(until, now));
    // A socket keeps the process alive, not its credentials' countdown.
    entry.timer.unref();
  }

  private wake(connection: Connection, entry: ExpiringCredentials): void {
    if (this.watched.get(connection) !== entry) return;
    const now = Date.now();
    if (now >= entry.expiresAt) {
      this.forget(connection);
      connection.close(CloseCode.CredentialsExpired, 'credentials expired');
      return;
    }
    if (!entry.asked && now >= entry.askAt) {
      entry.asked = true;
      const data: RefreshNeededData = { expiresInMs: entry.expiresAt - now };
      if (!connection.closing) connection.send(encodeEvent(ReservedEvent.Refresh, data));
    }
    // Also reached when a delay longer than setTimeout's limit woke it early.
    this.arm(connection, entry, now);
  }
}

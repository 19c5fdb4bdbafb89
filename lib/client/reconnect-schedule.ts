import { backoffDelay, type BackoffOptions } from './backoff.js';

// A connection that stayed ready this long was a success: the next drop starts the backoff over.
// Shorter-lived ones keep growing it, so a server that accepts then drops is not hammered.
const STABLE_AFTER_MS = 5000;

/** When the next connection attempt starts: after a backoff delay that grows with each failure. */
export class ReconnectSchedule {
  private attempt = 0;
  private readyAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly backoff: BackoffOptions,
    private readonly random: () => number,
  ) {}

  /** The current connection became ready. */
  connected(): void {
    this.readyAt = Date.now();
  }

  /** A ready connection was lost: if it had lasted, the backoff starts over. */
  lostReady(): void {
    if (Date.now() - this.readyAt >= STABLE_AFTER_MS) this.attempt = 0;
  }

  /** Runs `open` after the next backoff delay. */
  schedule(open: () => void): void {
    const delay = backoffDelay(this.attempt++, this.backoff, this.random);
    this.timer = setTimeout(() => {
      this.timer = null;
      open();
    }, delay);
  }

  /** Drops a scheduled attempt. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

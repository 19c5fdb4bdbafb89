import type { PublishRateOptions } from '../auth.options.js';

/** What the limiter says about one publish frame. */
export type PublishVerdict =
  { allowed: true } | { allowed: false; retryAfterMs: number; close: boolean };

const ALLOWED: PublishVerdict = { allowed: true };
const monotonicNow = () => performance.now();

/**
 * Token bucket of one connection: refilled continuously at `perSecond`, capped at `burst`,
 * one token per publish. Refusals in a row are counted so that a client that ignores
 * `DWS_ERR_RATE_LIMITED` is closed, while one that backs off is not.
 */
export class PublishRateLimiter {
  private tokens: number;
  private last: number;
  private refusedInARow = 0;

  constructor(
    private readonly rate: PublishRateOptions,
    private readonly now: () => number = monotonicNow,
  ) {
    this.tokens = rate.burst;
    this.last = now();
  }

  /** Takes a token for one publish. */
  take(): PublishVerdict {
    const now = this.now();
    this.tokens = Math.min(
      this.rate.burst,
      this.tokens + ((now - this.last) * this.rate.perSecond) / 1000,
    );
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refusedInARow = 0;
      return ALLOWED;
    }
    this.refusedInARow++;
    return {
      allowed: false,
      retryAfterMs: Math.ceil(((1 - this.tokens) * 1000) / this.rate.perSecond),
      close: this.refusedInARow >= this.rate.closeAfter,
    };
  }
}

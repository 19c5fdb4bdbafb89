/** The bucket's numbers: `rateLimit` without the per-kind costs. */
export interface TokenBucketRate {
  perSecond: number;
  burst: number;
  closeAfter: number;
}

/** What the limiter says about one client frame. */
export type FrameVerdict =
  { allowed: true } | { allowed: false; retryAfterMs: number; close: boolean };

const ALLOWED: FrameVerdict = { allowed: true };
const monotonicNow = () => performance.now();

/**
 * Token bucket of one connection over every client frame: refilled continuously at
 * `perSecond`, capped at `burst`; a frame spends its cost. Refusals in a row are counted so that
 * a client that ignores `DWS_ERR_RATE_LIMITED` is closed, while one that backs off is not.
 */
export class FrameRateLimiter {
  private tokens: number;
  private last: number;
  private refusedInARow = 0;

  constructor(
    private readonly rate: TokenBucketRate,
    private readonly now: () => number = monotonicNow,
  ) {
    this.tokens = rate.burst;
    this.last = now();
  }

  /** Spends `cost` tokens for one frame, when the bucket holds them. */
  take(cost = 1): FrameVerdict {
    const now = this.now();
    this.tokens = Math.min(
      this.rate.burst,
      this.tokens + ((now - this.last) * this.rate.perSecond) / 1000,
    );
    this.last = now;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      this.refusedInARow = 0;
      return ALLOWED;
    }
    this.refusedInARow++;
    return {
      allowed: false,
      retryAfterMs: Math.ceil(((cost - this.tokens) * 1000) / this.rate.perSecond),
      close: this.refusedInARow >= this.rate.closeAfter,
    };
  }
}

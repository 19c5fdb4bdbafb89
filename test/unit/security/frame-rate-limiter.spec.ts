import { describe, expect, it } from '@jest/globals';
import { FrameRateLimiter } from '../../../lib/security/frame-rate-limiter.js';
import { rateLimitProblem } from '../../../lib/auth.options.js';

describe('FrameRateLimiter', () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('allows a burst, then refuses with the wait until the next token', () => {
    const time = clock();
    const limiter = new FrameRateLimiter({ perSecond: 10, burst: 3, closeAfter: 5 }, time.now);
    expect([limiter.take(), limiter.take(), limiter.take()]).toEqual(
      Array(3).fill({ allowed: true }),
    );
    expect(limiter.take()).toEqual({ allowed: false, retryAfterMs: 100, close: false });
    time.advance(40);
    expect(limiter.take()).toEqual({ allowed: false, retryAfterMs: 60, close: false });
  });

  it('refills at perSecond up to burst, never beyond', () => {
    const time = clock();
    const limiter = new FrameRateLimiter({ perSecond: 10, burst: 2, closeAfter: 5 }, time.now);
    limiter.take();
    limiter.take();
    time.advance(100);
    expect(limiter.take().allowed).toBe(true);
    expect(limiter.take().allowed).toBe(false);
    time.advance(60_000);
    expect([limiter.take(), limiter.take(), limiter.take()].map((v) => v.allowed)).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('spends a cost per frame and says how long until that many tokens are back', () => {
    const time = clock();
    const limiter = new FrameRateLimiter({ perSecond: 10, burst: 25, closeAfter: 5 }, time.now);
    expect(limiter.take(20)).toEqual({ allowed: true });
    expect(limiter.take(20)).toEqual({ allowed: false, retryAfterMs: 1500, close: false });
    expect(limiter.take(5)).toEqual({ allowed: true });
    expect(limiter.take(0)).toEqual({ allowed: true });
    time.advance(2000);
    expect(limiter.take(20)).toEqual({ allowed: true });
  });

  it('says close after closeAfter refusals in a row; an allowed frame resets the count', () => {
    const time = clock();
    const limiter = new FrameRateLimiter({ perSecond: 1, burst: 1, closeAfter: 3 }, time.now);
    limiter.take();
    expect([limiter.take(), limiter.take()].map((v) => !v.allowed && v.close)).toEqual([
      false,
      false,
    ]);
    time.advance(1000);
    expect(limiter.take().allowed).toBe(true);
    const verdicts = [limiter.take(), limiter.take(), limiter.take()];
    expect(verdicts.map((v) => !v.allowed && v.close)).toEqual([false, false, true]);
  });
});

describe('rateLimitProblem', () => {
  it.each([
    [false, null],
    [{ perSecond: 0.5, burst: 1, closeAfter: 1, cost: {} }, null],
    [{ perSecond: 5, burst: 20, closeAfter: 1, cost: { resume: 20, publish: 0 } }, null],
    [
      { perSecond: 5, burst: 10, closeAfter: 1, cost: { resume: 11 } },
      '"cost.resume" must be a number from 0 to "burst" (10), got 11',
    ],
    [
      { perSecond: 5, burst: 10, closeAfter: 1, cost: { ping: 1 } },
      '"cost" has an unknown frame kind "ping" (kinds: publish, subscribe, unsubscribe, presence, resume, refresh, event, invalid)',
    ],
    [{ perSecond: 0, burst: 1, closeAfter: 1 }, '"perSecond" must be a positive number, got 0'],
    [{ perSecond: 5, burst: 1.5, closeAfter: 1 }, '"burst" must be a positive integer, got 1.5'],
    [{ perSecond: 5, burst: 1, closeAfter: -1 }, '"closeAfter" must be a positive integer, got -1'],
    [true, 'must be false or { perSecond, burst, closeAfter, cost }'],
  ])('%j → %s', (rate, problem) => {
    expect(rateLimitProblem(rate)).toBe(problem);
  });
});

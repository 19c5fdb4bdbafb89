import { describe, expect, it } from '@jest/globals';
import { PublishRateLimiter } from '../../../lib/security/publish-rate-limiter.js';
import { publishRateProblem } from '../../../lib/auth.options.js';

describe('PublishRateLimiter', () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('allows a burst, then refuses with the wait until the next token', () => {
    const time = clock();
    const limiter = new PublishRateLimiter({ perSecond: 10, burst: 3, closeAfter: 5 }, time.now);
    expect([limiter.take(), limiter.take(), limiter.take()]).toEqual(
      Array(3).fill({ allowed: true }),
    );
    expect(limiter.take()).toEqual({ allowed: false, retryAfterMs: 100, close: false });
    time.advance(40);
    expect(limiter.take()).toEqual({ allowed: false, retryAfterMs: 60, close: false });
  });

  it('refills at perSecond up to burst, never beyond', () => {
    const time = clock();
    const limiter = new PublishRateLimiter({ perSecond: 10, burst: 2, closeAfter: 5 }, time.now);
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

  it('says close after closeAfter refusals in a row; an allowed publish resets the count', () => {
    const time = clock();
    const limiter = new PublishRateLimiter({ perSecond: 1, burst: 1, closeAfter: 3 }, time.now);
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

describe('publishRateProblem', () => {
  it.each([
    [false, null],
    [{ perSecond: 0.5, burst: 1, closeAfter: 1 }, null],
    [{ perSecond: 0, burst: 1, closeAfter: 1 }, '"perSecond" must be a positive number, got 0'],
    [{ perSecond: 5, burst: 1.5, closeAfter: 1 }, '"burst" must be a positive integer, got 1.5'],
    [{ perSecond: 5, burst: 1, closeAfter: -1 }, '"closeAfter" must be a positive integer, got -1'],
    [true, 'must be false or { perSecond, burst, closeAfter }'],
  ])('%j → %s', (rate, problem) => {
    expect(publishRateProblem(rate)).toBe(problem);
  });
});

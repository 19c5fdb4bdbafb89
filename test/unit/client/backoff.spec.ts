import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from '../../../lib/client/backoff.js';

const defaults = { minDelayMs: 250, maxDelayMs: 10_000 };
// Close to the largest value Math.random() returns; (1 - ε)·span could round up to span itself.
const almostOne = 0.9999999;

describe('backoffDelay', () => {
  it.each<[number, number, number]>([
    // attempt, lowest delay (random 0), highest delay (random → 1)
    [0, 250, 499],
    [1, 250, 999],
    [2, 250, 1999],
    [3, 250, 3999],
    [4, 250, 7999],
    [5, 250, 9999],
    [40, 250, 9999],
    [1e6, 250, 9999],
  ])('attempt %i waits between %i and %i ms', (attempt, low, high) => {
    expect(backoffDelay(attempt, defaults, () => 0)).toBe(low);
    expect(backoffDelay(attempt, defaults, () => almostOne)).toBe(high);
  });

  it('spreads delays uniformly over the window (full jitter)', () => {
    expect(backoffDelay(3, defaults, () => 0.5)).toBe(250 + 1875);
    expect(backoffDelay(5, defaults, () => 0.25)).toBe(250 + 2437);
  });

  it('stays at the minimum when the maximum leaves no room for jitter', () => {
    expect(backoffDelay(0, { minDelayMs: 100, maxDelayMs: 100 }, () => almostOne)).toBe(100);
    expect(backoffDelay(7, { minDelayMs: 100, maxDelayMs: 100 }, () => 0.5)).toBe(100);
  });

  it('treats a negative or fractional attempt as the first', () => {
    expect(backoffDelay(-3, defaults, () => almostOne)).toBe(499);
    expect(backoffDelay(0.7, defaults, () => almostOne)).toBe(499);
  });

  it('uses Math.random by default and stays within bounds', () => {
    for (let i = 0; i < 1000; i++) {
      const delay = backoffDelay(i % 8, defaults);
      expect(delay).toBeGreaterThanOrEqual(250);
      expect(delay).toBeLessThan(10_000);
      expect(Number.isInteger(delay)).toBe(true);
    }
  });
});

/** Bounds of the reconnect delay. */
export interface BackoffOptions {
  /** Shortest delay, and the base of the exponential growth, in ms. */
  minDelayMs: number;
  /** Longest delay, in ms. */
  maxDelayMs: number;
}

// 2^20 × any sane base already exceeds every sane maximum; stopping there keeps the numbers finite.
const MAX_EXPONENT = 20;

/**
 * Delay before reconnect attempt number `attempt` (0 for the first retry after a drop):
 * exponential backoff with full jitter above a floor, uniform in
 * `[minDelayMs, min(maxDelayMs, minDelayMs × 2^(attempt+1)))`.
 *
 * Full jitter spreads the clients of a restarted instance over the whole window instead of
 * having them all come back at the same instant; the floor keeps a flapping server from being
 * hammered in a tight loop.
 *
 * @param random - a source of numbers in [0, 1); injectable for tests.
 * @example
 * backoffDelay(0, { minDelayMs: 250, maxDelayMs: 10_000 }); // 250…499
 * backoffDelay(5, { minDelayMs: 250, maxDelayMs: 10_000 }); // 250…9999
 */
export function backoffDelay(
  attempt: number,
  { minDelayMs, maxDelayMs }: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)) + 1, MAX_EXPONENT);
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** exponent);
  if (ceiling <= minDelayMs) return minDelayMs;
  return minDelayMs + Math.floor(random() * (ceiling - minDelayMs));
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many ms. @default 5000 */
  timeout?: number;
  /** Poll every this many ms. @default 10 */
  interval?: number;
  /** What was awaited, for the timeout message. @default 'condition' */
  message?: string | (() => string);
}

/**
 * Polls `condition` until it returns a truthy value (which is returned), bounded by
 * `timeout`: tests wait for outcomes, never for fixed durations.
 * @throws Error naming `message` (and the last error `condition` threw) after `timeout`.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const { timeout = 5000, interval = 10, message = 'condition' } = options;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const what = typeof message === 'function' ? message() : message;
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeout} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * A timer of this process armed now for `ms`: resolves with the time it fired. An upper bound on
 * when an in-process deadline (the library's timer, due at the same time) acted is then measured
 * against it, so a loaded machine that fires every timer late does not fail the test.
 */
export function timerFiredAt(ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(Date.now()), ms));
}

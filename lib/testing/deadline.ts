import { TestingTimeoutError } from './testing-timeout.error.js';

/**
 * Defaults of the testing helpers. 2000 ms fails before Jest's and Vitest's 5 s test timeout,
 * with a message naming what was awaited instead of theirs.
 */
export const TESTING_DEFAULTS = {
  timeoutMs: 2000,
} as const;

/** Options every waiting helper accepts. */
export interface WaitOptions {
  /**
   * How long to wait before rejecting with a {@link TestingTimeoutError}, in ms.
   * @default 2000
   */
  timeoutMs?: number;
}

/** Settles the promise of {@link within}. */
export interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * A promise settled by `start`, or rejected with a {@link TestingTimeoutError} saying
 * `timedOut()` after `timeoutMs`. `start` may return its cleanup (remove listeners), run exactly
 * once however the promise settles.
 */
export function within<T>(
  timeoutMs: number | undefined,
  timedOut: (timeoutMs: number) => string,
  start: (settle: Settle<T>) => (() => void) | void,
): Promise<T> {
  const limit = checkedTimeout(timeoutMs);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let cleanup: (() => void) | void;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup?.();
      action();
    };
    const timer = setTimeout(
      () => finish(() => reject(new TestingTimeoutError(timedOut(limit)))),
      limit,
    );
    const stop = start({
      resolve: (value) => finish(() => resolve(value)),
      reject: (error) => finish(() => reject(error)),
    });
    // `start` may have settled synchronously, before its cleanup was known.
    if (settled) stop?.();
    else cleanup = stop;
  });
}

/**
 * @throws RangeError for a timeout that is not a positive number of ms.
 */
export function checkedTimeout(timeoutMs: number | undefined): number {
  const value = timeoutMs ?? TESTING_DEFAULTS.timeoutMs;
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`\`timeoutMs\` must be a positive number of ms, got ${value}.`);
  }
  return value;
}

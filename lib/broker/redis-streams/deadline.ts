/** Settles like `work`, or rejects with `onTimeout()` after `ms` if `work` has not settled. */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** What {@link untilReady} needs of an ioredis `Redis` or `Cluster`. */
interface Connectable {
  readonly status: string;
  once(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * Resolves when `client` is ready.
 * @throws Error carrying the last connection error (e.g. ECONNREFUSED) after `ms`.
 */
export function untilReady(client: Connectable, ms: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  let lastError: Error | undefined;
  const remember = (error: Error) => (lastError = error);
  let onReady = () => {};
  client.on('error', remember);
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
    client.once('ready', onReady);
  });
  const timeout = () => new Error(lastError?.message ?? `not ready after ${ms} ms`);
  return withDeadline(ready, ms, timeout).finally(() => {
    client.off('error', remember);
    client.off('ready', onReady);
  });
}

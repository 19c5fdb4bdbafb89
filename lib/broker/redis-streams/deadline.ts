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

/** Resolves when `client` is ready; keeps the last connection error for the caller's message. */
export function untilReady(
  client: {
    status: string;
    once(e: 'ready', f: () => void): unknown;
    on(e: 'error', f: (e: Error) => void): unknown;
    off(e: string, f: (...a: any[]) => void): unknown;
  },
  ms: number,
): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  let lastError: Error | undefined;
  const remember = (error: Error) => (lastError = error);
  let onReady = () => {};
  client.on('error', remember);
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
    client.once('ready', onReady);
  });
  return withDeadline(
    ready,
    ms,
    () => new Error(lastError?.message ?? `not ready after ${ms} ms`),
  ).finally(() => {
    client.off('error', remember);
    client.off('ready', onReady);
  });
}

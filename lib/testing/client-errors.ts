import { type DistributedWsClient, DwsClientError } from '../client/index.js';
import { type WaitOptions, within } from './deadline.js';

/**
 * The next `error` event of `client`: what no promise reports (a subscription refused on a
 * resume, a handler that threw, an `error` frame answering no request). Call it before the
 * action that should fail: only errors emitted after the call count.
 *
 * @throws TestingTimeoutError (rejects) when no error is emitted within `timeoutMs`.
 * @example
 * const refused = nextError(alice);
 * alice.subscribe('chat/rooms/staff', () => undefined);
 * expect((await refused).code).toBe('DWS_ERR_FORBIDDEN');
 */
export function nextError(
  client: Pick<DistributedWsClient<any, any>, 'on' | 'state'>,
  options: WaitOptions = {},
): Promise<DwsClientError> {
  return within(
    options.timeoutMs,
    (ms) =>
      `Timed out after ${ms} ms waiting for an "error" event of the client (state: ${client.state}).`,
    ({ resolve }) => client.on('error', resolve),
  );
}

/**
 * The `DwsClientError` a request rejects with: `publish`, `call`, `presence`, or a
 * subscription's `ready`. Works with any test runner, and types the error.
 *
 * @throws Error (rejects) when the request succeeds instead; its message shows the result.
 * @throws the rejection itself when it is not a `DwsClientError`.
 * @throws TestingTimeoutError (rejects) when the request does not settle within `timeoutMs`.
 * @example
 * const error = await errorOf(alice.publish('chat/rooms/lobby', { text: '' }));
 * expect(error.code).toBe('DWS_ERR_INVALID_PAYLOAD');
 */
export function errorOf(
  request: Promise<unknown>,
  options: WaitOptions = {},
): Promise<DwsClientError> {
  return within(
    options.timeoutMs,
    (ms) => `Timed out after ${ms} ms waiting for the request to fail.`,
    ({ resolve, reject }) => {
      request.then(
        (value) =>
          reject(
            new Error(
              `Expected the request to fail with a DwsClientError, but it succeeded with ${describe(value)}.`,
            ),
          ),
        (error: unknown) => (error instanceof DwsClientError ? resolve(error) : reject(error)),
      );
    },
  );
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * A testing helper waited longer than its `timeoutMs`. The message says what was awaited and
 * what had happened so far, so that a failing test reads better than a runner's own timeout.
 *
 * @example
 * await expect(lobby.next({ timeoutMs: 200 })).rejects.toBeInstanceOf(TestingTimeoutError);
 */
export class TestingTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestingTimeoutError';
  }
}

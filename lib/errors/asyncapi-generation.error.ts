/**
 * An AsyncAPI generation that cannot succeed; the message says what to change.
 * @publicApi
 */
export class AsyncApiGenerationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AsyncApiGenerationError';
  }
}

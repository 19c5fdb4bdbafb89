/**
 * Thrown by a broker's `publish` (and so by every `Broadcaster` method) when the backplane
 * cannot accept messages: Redis unreachable, or not answering within its command timeout.
 * @publicApi
 */
export class BrokerUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerUnavailableError';
  }
}

/**
 * Thrown by `Broadcaster` for a topic or payload that could never be delivered.
 * @publicApi
 */
export class BroadcastError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BroadcastError';
  }
}

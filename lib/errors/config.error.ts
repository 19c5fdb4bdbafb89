/**
 * Thrown at boot for `DistributedWsModule` options that cannot work; the message says what to
 * change.
 * @publicApi
 */
export class DistributedWsConfigError extends Error {
  constructor(message: string) {
    super(`DistributedWsModule: ${message}`);
    this.name = 'DistributedWsConfigError';
  }
}

/**
 * Thrown at boot for `WsProxyModule` options that cannot work.
 * @publicApi
 */
export class WsProxyConfigError extends Error {
  constructor(message: string) {
    super(`WsProxyModule: ${message}`);
    this.name = 'WsProxyConfigError';
  }
}

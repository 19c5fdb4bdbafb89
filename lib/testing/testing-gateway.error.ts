/**
 * `createTestingGateway` or `connect` was given something that cannot work: a module without
 * `DistributedWsModule` or gateways, an unknown or ambiguous gateway path, a client that never
 * connected. The message says what to fix.
 *
 * @example
 * await expect(createTestingGateway({ providers: [] })).rejects.toBeInstanceOf(TestingGatewayError);
 */
export class TestingGatewayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestingGatewayError';
  }
}

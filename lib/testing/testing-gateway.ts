import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import type { EventMap, TopicMap, UntypedEvents } from '../client/index.js';
import { checkedTimeout } from './deadline.js';
import { type GatewayEndpoint, gatewayEndpoints } from './gateway-endpoints.js';
import { RunningGateway } from './running-gateway.js';
import type {
  TestingGateway,
  TestingGatewayOptions,
  TestingModuleSource,
} from './testing-gateway.interface.js';

/**
 * Starts your application for a test: compiles a `@nestjs/testing` module, creates the app (the
 * module's `DistributedWsModule` installs its adapter) and listens on a free port of 127.0.0.1.
 * Clients come from `connect()`, already connected.
 *
 * @param source your module (`AppModule`), or testing module metadata (`{ imports, providers }`).
 * @typeParam Topics - payload types by topic for the clients (see the SDK's `TopicMap`), such as
 *   the `TopicMap` that `dws-asyncapi --types` generates.
 * @typeParam Events - request and reply types by gateway event, for `client.call` (the generated
 *   `EventMap`).
 * @throws TestingGatewayError (rejects) when the module does not import `DistributedWsModule` or
 *   declares no `@WebSocketGateway()`; the app is closed first.
 * @example
 * const gateway = await createTestingGateway<TopicMap, EventMap>(AppModule);
 * const [alice, bob] = await Promise.all([gateway.connect(), gateway.connect()]);
 * const lobby = await recordMessages(bob, 'chat/rooms/lobby');
 * await alice.publish('chat/rooms/lobby', { text: 'hi' });
 * expect((await lobby.next()).payload.text).toBe('hi');
 * await gateway.close();
 */
export async function createTestingGateway<
  Topics extends TopicMap = Record<string, unknown>,
  Events extends EventMap = UntypedEvents,
>(
  source: TestingModuleSource,
  options: TestingGatewayOptions = {},
): Promise<TestingGateway<Topics, Events>> {
  const timeoutMs = checkedTimeout(options.timeoutMs);
  const metadata = typeof source === 'function' ? { imports: [source] } : source;
  const builder = Test.createTestingModule(metadata);
  const moduleRef = await (options.override ? options.override(builder) : builder).compile();
  const app = moduleRef.createNestApplication({ logger: options.logger ?? ['error', 'warn'] });
  let endpoints: GatewayEndpoint[];
  try {
    endpoints = gatewayEndpoints(app);
    await options.configure?.(app);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close();
    throw error;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return new RunningGateway<Topics, Events>(app, port, endpoints, options.client ?? {}, timeoutMs);
}

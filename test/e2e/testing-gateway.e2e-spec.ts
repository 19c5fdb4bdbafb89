import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Broadcaster, DistributedWsModule } from '../../lib/index.js';
import {
  createTestingGateway,
  errorOf,
  nextError,
  recordDirectMessages,
  recordMessages,
  type TestingGateway,
  TestingGatewayError,
  TestingTimeoutError,
} from '../../lib/testing/index.js';
import { AppModule } from '../../sample/app.module.js';
import { ChatGateway } from '../../sample/chat.gateway.js';
import { waitFor } from '../support/wait-for.js';

@Injectable()
class Greeting {
  text(): string {
    return 'hello';
  }
}

@WebSocketGateway({ path: 'greet/' })
class GreetGateway {
  constructor(private readonly greeting: Greeting) {}

  @SubscribeMessage('greet')
  greet(): string {
    return this.greeting.text();
  }
}

@WebSocketGateway({ path: '/plain' })
class PlainGateway {}

const memory = DistributedWsModule.forRoot({ broker: 'memory://' });

/** Open TCP sockets and servers of this process: what would keep Jest from exiting. */
const tcpHandles = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap');

describe('createTestingGateway', () => {
  let gateway: TestingGateway | undefined;
  afterEach(() => gateway?.close());

  it('closes every client and the app, leaving no socket or server open', async () => {
    const before = tcpHandles().length;
    gateway = await createTestingGateway(AppModule);
    const [alice, bob] = await Promise.all([gateway.connect(), gateway.connect()]);
    const room = await recordMessages(bob, 'chat/rooms/lobby');
    await alice.publish('chat/rooms/lobby', { text: 'bye' });
    await room.next();
    expect(tcpHandles().length).toBeGreaterThan(before);

    const closing = gateway.close();
    expect(gateway.close()).toBe(closing);
    await closing;
    expect([alice.state, bob.state]).toEqual(['closed', 'closed']);
    expect(gateway.app.getHttpServer().listening).toBe(false);
    // The server's handle is released a tick after its close callback.
    await waitFor(() => tcpHandles().length === before, {
      message: () => `the TCP handles to go (${tcpHandles().join(', ')})`,
    });
    await expect(gateway.connect()).rejects.toThrow(
      new TestingGatewayError('connect() after close().'),
    );
  });

  it('names what was awaited when a wait times out', async () => {
    gateway = await createTestingGateway(AppModule);
    const alice = await gateway.connect();
    const quiet = await recordMessages(alice, 'chat/rooms/quiet');
    const silence = await quiet.next({ timeoutMs: 100 }).catch((e: unknown) => e);
    expect(silence).toBeInstanceOf(TestingTimeoutError);
    expect((silence as Error).message).toBe(
      'Timed out after 100 ms waiting for message #1 on "chat/rooms/quiet" (0 received).',
    );
    await expect(nextError(alice, { timeoutMs: 100 })).rejects.toThrow(
      'Timed out after 100 ms waiting for an "error" event of the client (state: connected).',
    );
  });

  it('says why a client was refused: HTTP 401 at the upgrade', async () => {
    gateway = await createTestingGateway({
      imports: [DistributedWsModule.forRoot({ broker: 'memory://', authenticate: () => null })],
      providers: [ChatGateway],
    });
    const refused = await gateway.connect({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TestingTimeoutError);
    expect((refused as Error).message).toBe(
      `The client did not connect to ${gateway.url} within 300 ms (state: connecting; last socket error: Unexpected server response: 401).`,
    );
  });

  it("says why a client was refused: closed with 1008 (authFailure: 'close')", async () => {
    gateway = await createTestingGateway({
      imports: [
        DistributedWsModule.forRoot({
          broker: 'memory://',
          authenticate: () => null,
          authFailure: 'close',
        }),
      ],
      providers: [ChatGateway],
    });
    await expect(gateway.connect()).rejects.toThrow(
      new TestingGatewayError(
        `The server closed the client's connection to ${gateway.url} for good (1008 Unauthorized) before it was ready.`,
      ),
    );
  });

  it('applies overrides, and serves gateways on several paths', async () => {
    gateway = await createTestingGateway(
      { imports: [memory], providers: [Greeting, GreetGateway, PlainGateway] },
      { override: (builder) => builder.overrideProvider(Greeting).useValue({ text: () => 'hi' }) },
    );
    expect(gateway.paths).toEqual(['/greet', '/plain']);
    expect(() => gateway!.url).toThrow(
      "The app's gateways use several paths (/greet, /plain): use urlOf(path) or connect({ path }).",
    );
    expect(() => gateway!.urlOf('/chat')).toThrow(
      'No gateway uses the path "/chat"; the app\'s gateways use /greet, /plain.',
    );
    expect(gateway.urlOf('greet/')).toBe(`ws://127.0.0.1:${gateway.port}/greet`);
    const client = await gateway.connect({ path: '/greet' });
    await expect(client.call('greet')).resolves.toBe('hi');
  });

  it('records the direct messages a Broadcaster sends', async () => {
    gateway = await createTestingGateway(AppModule);
    const alice = await gateway.connect();
    const inbox = recordDirectMessages(alice);
    await gateway.app.get(Broadcaster).sendToConnection(alice.connectionId!, { hello: 'alice' });
    const { payload, topic } = await inbox.next();
    expect([payload, topic]).toEqual([{ hello: 'alice' }, `$dws/conn/${alice.connectionId}`]);
  });

  it('refuses a module without DistributedWsModule, before Nest falls back to Socket.IO', async () => {
    const before = tcpHandles().length;
    await expect(createTestingGateway({ providers: [PlainGateway] })).rejects.toThrow(
      new TestingGatewayError(
        'The testing module does not import DistributedWsModule: import DistributedWsModule.forRoot({ … }) in it (or in the module you pass), which installs the WebSocket adapter.',
      ),
    );
    expect(tcpHandles().length).toBe(before);
  });

  it('refuses a module without a gateway', async () => {
    await expect(createTestingGateway({ imports: [memory] })).rejects.toThrow(
      new TestingGatewayError(
        'The testing module declares no @WebSocketGateway(): add the gateway class to the providers of a module it imports.',
      ),
    );
  });

  it('rejects with the server refusal when a subscription is denied', async () => {
    gateway = await createTestingGateway(AppModule);
    const alice = await gateway.connect();
    const denied = await errorOf(recordMessages(alice, 'chat/rooms/staff'));
    expect(denied.code).toBe('DWS_ERR_FORBIDDEN');
  });
});

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type INestApplication, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import { DWS_DIRECT_WRITE_SELF_TEST } from '../../lib/distributed-ws.constants.js';
import { Broadcaster, DistributedWsModule } from '../../lib/index.js';
import { encodeMessage } from '../../lib/protocol/codec.js';
import { type TestApp, startTestApp } from '../support/test-app.js';
import { selfSignedCert } from '../support/tls-cert.js';
import { WsTestClient } from '../support/ws-test-client.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

// Payload sizes that put the message frame in each length class of RFC 6455 §5.2 (7-bit, 16-bit
// and 64-bit lengths), so the prebuilt frames written straight to the sockets are checked by a
// real `ws` parser; a consecutive burst also exercises the corked multi-message batches. Over
// TLS the frames must go through the encrypting stream, never to the socket's descriptor.
const SIZES = [1, 90, 200, 60_000, 70_000];
const payloadOf = (size: number, n: number) => ({ n, body: 'é'.repeat(size >> 1) + 'x' });

describe.each([
  ['without extensions (prebuilt frames)', false, false],
  ['with permessage-deflate (framed per socket by ws)', true, false],
  ['over TLS (prebuilt frames, encrypted by the stream)', false, true],
])('delivery %s', (_name, perMessageDeflate, tls) => {
  let app: TestApp;

  beforeAll(async () => {
    const gateways = { providers: [FixtureGateway] };
    app = await startTestApp({ perMessageDeflate }, gateways, tls ? selfSignedCert() : undefined);
  });
  afterAll(() => app?.close());

  it('delivers every size exactly, in order, to every subscriber', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => app.connect({ perMessageDeflate })));
    expect(clients.map((c) => c.ws.extensions)).toEqual(
      Array(3).fill(perMessageDeflate ? 'permessage-deflate' : ''),
    );
    await Promise.all(clients.map((c) => c.request('subscribe', { topic: 'news/+' })));
    const broadcaster = app.app.get(Broadcaster);
    const received = (count: number) =>
      Promise.all(clients.map((c) => c.until(() => c.messages().length === count, 5000, 'all')));
    // One at a time first: a batch of one message goes to each socket uncorked, as one write.
    const alone = SIZES.map((size, i) => payloadOf(size, i));
    for (const [i, payload] of alone.entries()) {
      await broadcaster.publish('news/frames', payload);
      await received(i + 1);
    }
    // Then all at once: batches of several messages, written to corked sockets.
    const n = alone.length;
    const burst = SIZES.flatMap((size, i) => [
      payloadOf(size, n + 2 * i),
      payloadOf(size, n + 2 * i + 1),
    ]);
    await Promise.all(burst.map((payload) => broadcaster.publish('news/frames', payload)));
    await received(n + burst.length);
    for (const client of clients) {
      expect(client.messages().map((m) => m.payload)).toEqual([...alone, ...burst]);
    }
  });

  it('replays every size exactly on resumes (the second from the frames the first built), then pings for the claim', async () => {
    const away = await Promise.all([0, 1].map(() => app.connect({ perMessageDeflate })));
    await Promise.all(away.map((c) => c.request('subscribe', { topic: 'news/replay' })));
    const positions = away.map((c) => c.positions());
    for (const client of away) {
      client.close();
      await client.waitClosed();
    }
    const payloads = SIZES.map((size, i) => payloadOf(size, i));
    for (const payload of payloads) await app.app.get(Broadcaster).publish('news/replay', payload);
    for (const [i, previous] of away.entries()) {
      const back = await app.connect({ perMessageDeflate });
      const pings: string[] = [];
      back.ws.on('ping', (data: Buffer) => pings.push(data.toString()));
      const ack = await back.resumeSessionOf(previous, ['news/replay'], positions[i]);
      expect(ack.data).toMatchObject({ recovered: true, replayed: SIZES.length });
      await back.next((f) => f.event === 'positions');
      expect(back.messages('news/replay').map((m) => m.payload)).toEqual(payloads);
      // The claim's id (9 random bytes, base64url), which the pong must echo.
      await back.until(() => pings.length === 1, 5000, 'the claim ping');
      expect(pings[0]).toMatch(/^[\w-]{12}$/);
    }
  });

  it('keeps the order of frames the application sent on the socket itself, a Blob included', async () => {
    const client = await app.connect({ perMessageDeflate });
    await client.request('subscribe', { topic: 'news/order' });
    const registry = app.app.get(ConnectionRegistry);
    const connection = registry.get(client.welcome.data.connectionId)!;
    // ws reads a Blob asynchronously and queues what is sent meanwhile: a broker batch that
    // arrives in that time must queue behind it, not overtake it.
    connection.ws.send(new Blob(['raw bytes']));
    registry.deliver([
      { topic: 'news/order', payload: '{"n":1}', shard: 0, id: '1-0', offset: '0:e:1-0' },
    ]);
    await client.until(() => client.messages().length === 1, 5000, 'the message');
    const kinds = client.frames.slice(-2).map((f: { event: string }) => f.event);
    expect(kinds).toEqual(['<binary>', 'message']);
  });
});

describe.each([
  ['true (the default): to the descriptor, past the stream', true],
  ['false: through socket.write', false],
])('directWrites %s', (_name, directWrites) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ directWrites }, { providers: [FixtureGateway] });
  });
  afterAll(() => app?.close());

  it('answers the upgrade and welcomes the client in one write to the socket', async () => {
    // Each write the socket's stream makes to the kernel is one call of `_write` or `_writev`.
    const writes: number[] = [];
    const server = app.app.getHttpServer() as import('node:http').Server;
    const count = (_request: unknown, socket: import('node:net').Socket) => {
      const stream = socket as unknown as Record<
        '_write' | '_writev',
        (...args: unknown[]) => void
      >;
      const index = writes.push(0) - 1;
      for (const method of ['_write', '_writev'] as const) {
        const original = stream[method].bind(socket);
        stream[method] = (...args: unknown[]) => {
          writes[index]++;
          original(...args);
        };
      }
    };
    server.prependListener('upgrade', count);
    try {
      const client = await app.connect();
      expect(client.welcome.event).toBe('welcome');
      expect(writes).toEqual([1]);
    } finally {
      server.off('upgrade', count);
    }
  });

  it('delivers the frame, counted by the stream only when it went through it', async () => {
    const client = await app.connect();
    await client.request('subscribe', { topic: 'news/one' });
    const connection = app.app.get(ConnectionRegistry).get(client.welcome.data.connectionId)!;
    const before = connection.socket!.bytesWritten;
    const payload = { n: 1, text: 'héllo' };
    const offset = await app.app.get(Broadcaster).publish('news/one', payload);
    await client.until(() => client.messages().length === 1, 5000, 'the message');
    expect(client.messages()[0]).toEqual({ topic: 'news/one', offset, payload });
    // A 2-byte header: the encoded message is under 126 bytes.
    const frameLength =
      Buffer.byteLength(encodeMessage('news/one', JSON.stringify(payload), offset)) + 2;
    expect(connection.socket!.bytesWritten - before).toBe(directWrites ? 0 : frameLength);
  });
});

describe('directWrites when the start-up self-test fails', () => {
  let app: INestApplication;
  let client: WsTestClient;
  const warn = jest.spyOn(Logger.prototype, 'warn');

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DistributedWsModule.forRoot({})],
      providers: [FixtureGateway],
    })
      .overrideProvider(DWS_DIRECT_WRITE_SELF_TEST)
      .useValue(async () => 'a socket handle has no descriptor')
      .compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    client = await WsTestClient.connect(`ws://127.0.0.1:${port}/ws`);
  });
  afterAll(async () => {
    warn.mockRestore();
    client?.close();
    await app?.close();
  });

  it('says so in one log line and delivers through the stream, as with directWrites: false', async () => {
    expect(
      warn.mock.calls.filter(([message]) => String(message).includes('Direct writes')),
    ).toEqual([
      [
        'Direct writes are off: a socket handle has no descriptor. Deliveries go through the socket stream, as with directWrites: false.',
      ],
    ]);
    await client.request('subscribe', { topic: 'news/one' });
    const connection = app.get(ConnectionRegistry).get(client.welcome.data.connectionId)!;
    const before = connection.socket!.bytesWritten;
    const payload = { n: 1, text: 'héllo' };
    const offset = await app.get(Broadcaster).publish('news/one', payload);
    await client.until(() => client.messages().length === 1, 5000, 'the message');
    expect(client.messages()[0]).toEqual({ topic: 'news/one', offset, payload });
    const frameLength =
      Buffer.byteLength(encodeMessage('news/one', JSON.stringify(payload), offset)) + 2;
    expect(connection.socket!.bytesWritten - before).toBe(frameLength);
  });
});

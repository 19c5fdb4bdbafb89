import { afterEach, describe, expect, it } from '@jest/globals';
import type { ClientOptions } from 'ws';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import type { DistributedWsOptions } from '../../lib/index.js';
import { expectBystanderUnaffected } from '../support/bystander.js';
import { refusedUpgrade } from '../support/refused-upgrade.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';
import { WsTestClient } from '../support/ws-test-client.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

describe('security: limits', () => {
  let app: TestApp | null = null;
  const clients: WsTestClient[] = [];
  const start = async (options: DistributedWsOptions = {}) => {
    app = await startTestApp(options, { providers: [FixtureGateway] });
    return app;
  };
  const connect = async (options?: ClientOptions) => {
    const client = await WsTestClient.connect(app!.url(), options);
    clients.push(client);
    return client;
  };

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await app?.close();
    app = null;
  });

  it('closes with 1009 on a frame of maxPayload + 1 bytes (default 64 KiB), serving one of exactly maxPayload', async () => {
    await start();
    const bystander = await connect();
    const client = await connect();
    const frame = (size: number) => {
      const base = JSON.stringify({ event: 'echo', id: 'big', data: { say: '' } });
      return JSON.stringify({
        event: 'echo',
        id: 'big',
        data: { say: 'x'.repeat(size - base.length) },
      });
    };
    expect(Buffer.byteLength(frame(65_536))).toBe(65_536);
    client.sendRaw(frame(65_536));
    expect((await client.next((f) => f.id === 'big')).event).toBe('ack');
    client.sendRaw(frame(65_537));
    expect((await client.waitClosed()).code).toBe(1009);
    await expectBystanderUnaffected(bystander, 'after the big one');
  });

  it('answers a publish flood with DWS_ERR_RATE_LIMITED, then closes with 4002', async () => {
    await start({ rateLimit: { perSecond: 1, burst: 10, closeAfter: 20 } });
    const reader = await connect();
    await reader.request('subscribe', { topic: 'chat/rooms/flood' });
    const bystander = await connect();
    const flooder = await connect();
    for (let i = 0; i < 100; i++) {
      flooder.sendRaw(
        JSON.stringify({
          event: 'publish',
          id: i,
          data: { topic: 'chat/rooms/flood', payload: { text: `m${i}` } },
        }),
      );
    }
    expect(await flooder.waitClosed()).toEqual({
      code: 4002,
      reason: 'rate limit exceeded',
    });
    const acks = flooder.frames.filter((f) => f.event === 'ack');
    const errors = flooder.frames.filter((f) => f.event === 'error');
    expect(acks.map((f) => f.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(errors.map((f) => f.id)).toEqual(Array.from({ length: 20 }, (_, k) => k + 10));
    expect(errors[0].data).toEqual({
      code: 'DWS_ERR_RATE_LIMITED',
      message: 'Sending too fast: slow down and retry.',
      retryAfterMs: expect.any(Number),
    });
    await reader.until(() => reader.messages().length === 10);
    expect(reader.messages().map((m) => m.payload.text)).toEqual(
      Array.from({ length: 10 }, (_, k) => `M${k}`),
    );
    await expectBystanderUnaffected(bystander, 'own budget');
  });

  it('holds at most maxSubscriptions (1000) of 10,000 subscribes on one connection', async () => {
    // Only maxSubscriptions under test: the rate limit and the backlog bound would stop the
    // burst long before (security-backlog.e2e-spec.ts).
    await start({ rateLimit: false, maxPendingFrames: 10_000, maxPendingBytes: 4 * 1024 * 1024 });
    const bystander = await connect();
    const client = await connect();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) {
      client.sendRaw(
        JSON.stringify({ event: 'subscribe', id: i, data: { topic: `chat/rooms/r${i}` } }),
      );
    }
    await client.until(() => client.frames.length === 10_001, 20_000);
    const acks = client.frames.filter((f) => f.event === 'ack');
    const errors = client.frames.filter((f) => f.event === 'error');
    expect(acks).toHaveLength(1000);
    expect(acks.every((f) => (f.id as number) < 1000 && f.data.subscribed === true)).toBe(true);
    expect(errors).toHaveLength(9000);
    expect(new Set(errors.map((f) => f.data.code))).toEqual(
      new Set(['DWS_ERR_TOO_MANY_SUBSCRIPTIONS']),
    );
    expect(errors[0].data.message).toBe('A connection may hold at most 1000 subscriptions.');
    const registry = app!.app.get(ConnectionRegistry);
    expect(registry.get(client.welcome.data.connectionId)!.filters.size).toBe(1000);
    // Generous: the point is that 9000 refusals leave nothing behind, not a byte count.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    await expectBystanderUnaffected(bystander, 'not slowed down');
    expect(
      (await client.request('unsubscribe', { topic: 'chat/rooms/r0' })).data.wasSubscribed,
    ).toBe(true);
    expect((await client.request('subscribe', { topic: 'chat/rooms/again' })).event).toBe('ack');
  }, 30_000);

  it('lets exactly maxConnections in during a storm, answering the rest HTTP 503', async () => {
    await start({ maxConnections: 20 });
    const attempts = await Promise.allSettled(
      Array.from({ length: 50 }, () => WsTestClient.connect(app!.url())),
    );
    const inside = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    clients.push(...inside);
    const refusals = attempts.flatMap((a) => (a.status === 'rejected' ? [String(a.reason)] : []));
    expect(inside).toHaveLength(20);
    expect(refusals).toEqual(Array(30).fill('Error: HTTP 503'));
    expect((await refusedUpgrade(app!.url())).status).toBe(503);
    // The ones inside are served as usual.
    await expectBystanderUnaffected(inside[0], 'inside');

    inside.slice(0, 5).forEach((c) => c.close());
    const registry = app!.app.get(ConnectionRegistry);
    await waitFor(() => registry.size === 15);
    for (let i = 0; i < 5; i++) {
      await waitFor(
        () =>
          connect().then(
            () => true,
            () => false,
          ),
        { message: `connection ${i + 16}` },
      );
    }
    expect((await refusedUpgrade(app!.url())).status).toBe(503);
  });

  it('refuses a browser origin off the allow-list with HTTP 403', async () => {
    await start({
      allowedOrigins: ['https://app.example.com', /^https:\/\/[a-z]+\.example\.org$/],
    });
    const bystander = await connect({ origin: 'https://app.example.com' });
    for (const origin of ['https://evil.example.net', 'https://app.example.com.evil.net', 'null']) {
      expect(await refusedUpgrade(app!.url(), { origin })).toMatchObject({
        status: 403,
        body: 'Origin not allowed',
      });
    }
    await connect({ origin: 'https://docs.example.org' });
    await connect(); // no Origin: not a browser
    await expectBystanderUnaffected(bystander, 'same origin');
  });
});

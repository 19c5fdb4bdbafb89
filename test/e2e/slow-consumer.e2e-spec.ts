import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import { Broadcaster } from '../../lib/index.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

const FAST_CLIENTS = 100;
const NEWS = 200;
const BULK = 'x'.repeat(50_000);

describe('slow consumer', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ maxBufferedBytes: 256 * 1024 }, { providers: [FixtureGateway] });
  });
  afterAll(() => app.close());

  it('is closed with 4001 while 100 fast clients keep up, then resumes and has everything', async () => {
    const broadcaster = app.app.get(Broadcaster);
    const fast = await Promise.all(Array.from({ length: FAST_CLIENTS }, () => app.connect()));
    await Promise.all(fast.map((c) => c.request('subscribe', { topic: 'news/world' })));
    const slow = await app.connect();
    await slow.request('subscribe', { topic: 'news/#' });
    // Stop reading: the server's buffer for this socket can only grow.
    (slow.ws as any)._socket.pause();

    const onServer = app.app.get(ConnectionRegistry).get(slow.welcome.data.connectionId)!;
    let bulk = 0;
    const stuffing = (async () => {
      while (onServer.open && bulk < 2000) {
        await broadcaster.publish('news/bulk', { seq: bulk++, blob: BULK });
        if (bulk % 20 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    let lastPublishAt = 0;
    for (let seq = 0; seq < NEWS; seq++) {
      await broadcaster.publish('news/world', { seq });
      lastPublishAt = Date.now();
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(
      fast.map((c) => c.until(() => c.messages('news/world').length === NEWS, 5000)),
    );
    const caughtUpIn = Date.now() - lastPublishAt;
    for (const client of fast) {
      expect(client.messages('news/world').map((m) => m.payload.seq)).toEqual(
        Array.from({ length: NEWS }, (_, k) => k),
      );
    }
    expect(caughtUpIn).toBeLessThan(1000);

    (slow.ws as any)._socket.resume();
    await stuffing;
    expect(await slow.waitClosed(10_000)).toEqual({
      code: 4001,
      reason: 'slow consumer: resume to catch up',
    });
    expect(bulk).toBeLessThan(2000);

    const again = await app.connect();
    const ack = await again.request('resume', {
      token: slow.welcome.data.sessionToken,
      topics: ['news/#'],
      positions: slow.positions(),
    });
    expect(ack.data.recovered).toBe(true);
    const all = () => [...slow.messages(), ...again.messages()];
    await again.until(() => all().length >= NEWS + bulk, 20_000, 'every news and bulk message');
    expect(
      all()
        .filter((m) => m.topic === 'news/world')
        .map((m) => m.payload.seq),
    ).toEqual(Array.from({ length: NEWS }, (_, k) => k));
    expect(
      all()
        .filter((m) => m.topic === 'news/bulk')
        .map((m) => m.payload.seq),
    ).toEqual(Array.from({ length: bulk }, (_, k) => k));
  }, 60_000);
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Broadcaster } from '../../lib/index.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { Frame } from '../support/ws-test-client.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

describe('resume on one instance (memory broker)', () => {
  let app: TestApp;
  const connect = () => app.connect();

  beforeAll(async () => {
    app = await startTestApp({}, { providers: [FixtureGateway] });
  });
  afterEach(() => app.closeClients());
  afterAll(() => app.close());

  it('replays topic and direct messages missed while away, once and in order, then goes live', async () => {
    const broadcaster = app.app.get(Broadcaster);
    const first = await connect();
    await first.request('subscribe', { topic: 'chat/rooms/+' });
    await broadcaster.publish('chat/rooms/1', { text: 'm1' });
    await first.next((f) => f.event === 'message');
    const token = first.welcome.data.sessionToken;
    const sessionId = first.welcome.data.connectionId;
    const positions = first.positions();
    first.close();
    await first.waitClosed();

    for (let i = 2; i <= 40; i++)
      await broadcaster.publish(`chat/rooms/${i % 3}`, { text: `m${i}` });
    await broadcaster.sendToConnection(sessionId, { direct: true });
    await broadcaster.publish('news/world', { notForMe: true });

    const second = await connect();
    const ack = await second.request('resume', { token, topics: ['chat/rooms/+'], positions });
    expect(ack.event).toBe('ack');
    expect(ack.data).toMatchObject({
      recovered: true,
      connectionId: sessionId,
      topics: ['chat/rooms/+'],
      rejected: [],
      replayed: 40,
    });
    await second.next((f) => f.event === 'positions');
    await broadcaster.publish('chat/rooms/1', { text: 'live' });
    await second.until(() => second.messages().length === 41);
    const texts = second
      .messages('chat/rooms/0')
      .concat(second.messages('chat/rooms/1'), second.messages('chat/rooms/2'))
      .map((m) => m.payload.text);
    const expected = Array.from({ length: 39 }, (_, k) => `m${k + 2}`).concat('live');
    expect(texts.sort()).toEqual(expected.sort());
    for (const room of ['chat/rooms/0', 'chat/rooms/1', 'chat/rooms/2']) {
      const numbers = second.messages(room).map((m) => Number(m.payload.text.slice(1)) || 99);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    }
    expect(second.messages(`$dws/conn/${sessionId}`).map((m) => m.payload)).toEqual([
      { direct: true },
    ]);
    expect(second.messages('news/world')).toEqual([]);
  });

  it('refuses a tampered token and a token signed with another secret', async () => {
    const first = await connect();
    const token: string = first.welcome.data.sessionToken;
    const [body, signature] = token.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ s: 'someone-else', u: null })).toString(
      'base64url',
    );
    const other = await startTestApp(
      { sessionSecret: 'another-secret-of-32-characters!' },
      { providers: [FixtureGateway] },
    );
    try {
      const foreign = await other.connect();
      for (const bad of [
        `${forgedBody}.${signature}`,
        `${body}.${signature.slice(0, -2)}xx`,
        'garbage',
        foreign.welcome.data.sessionToken,
      ]) {
        const second = await connect();
        const error: Frame = await second.request('resume', {
          token: bad,
          topics: [],
          positions: first.positions(),
        });
        expect(error).toEqual({
          event: 'error',
          id: 'r1',
          data: {
            code: 'DWS_ERR_INVALID_SESSION',
            message:
              'Session token is invalid: tampered with, truncated or signed with another secret.',
          },
        });
      }
    } finally {
      await other.close();
    }
  });

  it('answers recovered:false with the subscriptions restored when the epoch differs', async () => {
    const first = await connect();
    const positions = first.positions().map((p) => p.replace(/:[^:]+:/, ':oldepoch:'));
    const second = await connect();
    const ack = await second.request('resume', {
      token: first.welcome.data.sessionToken,
      topics: ['chat/rooms/5', 'chat/rooms/secret'],
      positions,
    });
    expect(ack.data).toMatchObject({
      recovered: false,
      reason: 'epoch',
      topics: ['chat/rooms/5'],
      rejected: [
        {
          topic: 'chat/rooms/secret',
          code: 'DWS_ERR_FORBIDDEN',
          message: 'Subscription to "chat/rooms/secret" was denied.',
        },
      ],
      replayed: 0,
    });
    await app.app.get(Broadcaster).publish('chat/rooms/5', { text: 'after' });
    expect((await second.next((f) => f.event === 'message')).data.payload).toEqual({
      text: 'after',
    });
  });

  it('answers recovered:false when the position fell out of the retention window', async () => {
    const short = await startTestApp({ retentionMs: 50 }, { providers: [FixtureGateway] });
    try {
      const broadcaster = short.app.get(Broadcaster);
      const first = await short.connect();
      const positions = first.positions();
      await broadcaster.publish('chat/rooms/1', { text: 'old' });
      // Ageing past the window is the point of this test; nothing else is waited for by time.
      await new Promise((r) => setTimeout(r, 120));
      await broadcaster.publish('chat/rooms/1', { text: 'trims the old one' });
      const second = await short.connect();
      const ack = await second.request('resume', {
        token: first.welcome.data.sessionToken,
        topics: ['chat/rooms/1'],
        positions,
      });
      expect(ack.data).toMatchObject({
        recovered: false,
        reason: 'window',
        topics: ['chat/rooms/1'],
        replayed: 0,
      });
      expect(second.messages()).toEqual([]);
    } finally {
      await short.close();
    }
  });

  it('closes the older socket of a session that was resumed elsewhere with 4003', async () => {
    const first = await connect();
    const second = await connect();
    await second.request('resume', {
      token: first.welcome.data.sessionToken,
      topics: [],
      positions: first.positions(),
    });
    expect(await first.waitClosed()).toEqual({
      code: 4003,
      reason: 'session resumed on another connection',
    });
    expect(second.closed).toBeNull();
  });
});

describe('heartbeat', () => {
  it('terminates a peer that stops answering pings, and keeps one that answers', async () => {
    // 400 ms: a pong has a whole interval to come back, which a stall of the test's process
    // (client and server share it) must not outlast; the silent peer goes after two intervals.
    const app = await startTestApp({ heartbeatIntervalMs: 400 }, { providers: [FixtureGateway] });
    try {
      const silent = await app.connect({ autoPong: false });
      const healthy = await app.connect();
      expect((await silent.waitClosed(3000)).code).toBe(1006);
      await healthy.next((f) => f.event === 'positions');
      expect(healthy.closed).toBeNull();
    } finally {
      await app.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import { Broadcaster } from '../../lib/index.js';
import { type InstanceProcess, startInstance } from '../support/app-process.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type TestApp, startTestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';
import { WsTestClient } from '../support/ws-test-client.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

const SECRET = 'resume-unavailable-secret-0123456789ab';
const TOPIC = 'orders/5/status';
const BACKPLANE_UNAVAILABLE = { code: 1013, reason: 'backplane unavailable: reconnect and resume' };

/**
 * Found by the soak (test/soak): a resume whose replay cannot read Redis (a killed connection, a
 * stalled server) must not end the session. It used to be answered DWS_ERR_INTERNAL, on which
 * the SDK gave the session up (notRecovered "session") and lost the messages missed meanwhile.
 */
describe('resume while the backplane does not answer (Redis)', () => {
  let redis: RedisServer;
  let instance: InstanceProcess;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    instance = await startInstance({ BROKER: redis.url, DWS_SESSION_SECRET: SECRET });
  }, 30_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    if (redis) process.kill(redis.pid, 'SIGCONT');
    await instance?.kill('SIGKILL');
    await redis?.stop();
  });

  it('closes with 1013 (reconnect and resume), and the next resume replays everything', async () => {
    const first = await WsTestClient.connect(instance.url());
    clients.push(first);
    await first.request('subscribe', { topic: TOPIC });
    await instance.control('publish-many', { topic: TOPIC, count: 10, from: 'A' });
    await first.until(() => first.messages().length === 10, 5000, '10 messages');
    const session = {
      token: first.welcome.data.sessionToken,
      topics: [TOPIC],
      positions: first.positions(),
    };
    first.close();
    await first.waitClosed();
    const missed = await instance.control('publish-many', { topic: TOPIC, count: 5, from: 'B' });

    process.kill(redis.pid, 'SIGSTOP');
    try {
      const second = await WsTestClient.connect(instance.url());
      clients.push(second);
      second.sendRaw(JSON.stringify({ event: 'resume', id: 'r1', data: session }));
      // The replay's read gives up after publishTimeoutMs (2 s by default).
      expect(await second.waitClosed(10_000)).toEqual(BACKPLANE_UNAVAILABLE);
      expect(second.frames.filter((f) => f.event === 'error')).toEqual([]);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }

    // The failed resume's takeover enters the log after SIGCONT; it must not close this one.
    const third = await WsTestClient.connect(instance.url());
    clients.push(third);
    const ack = await third.request('resume', session, 10_000);
    expect(ack.data).toMatchObject({ recovered: true, topics: [TOPIC], replayed: 5 });
    await third.until(() => third.messages().length === 5, 5000, 'the 5 missed messages');
    expect(third.messages()).toEqual(
      missed.offsets.map((offset: string, seq: number) => ({
        topic: TOPIC,
        payload: { seq, from: 'B' },
        offset,
      })),
    );
  }, 60_000);
});

/**
 * Found by a full parallel run of the test above: the failed resume's takeover was already on
 * its way to the stalled Redis, entered the log after SIGCONT, and closed the next resume's
 * socket with 4003, on which the SDK stops for good. Here the next resume's claim on the session
 * (session tokens: one resume per token generation) queues in the stopped Redis behind the
 * failed resume's takeover and the release of its claim: the stale takeover enters the log just
 * before the next resume takes the session over, and reaches it while it waits for its own.
 */
describe('a takeover from a resume that failed while Redis stalled (in-process app)', () => {
  let redis: RedisServer;
  let app: TestApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    app = await startTestApp(
      { broker: redis.url, sessionSecret: SECRET },
      { providers: [FixtureGateway] },
    );
  }, 30_000);
  afterAll(async () => {
    if (redis) process.kill(redis.pid, 'SIGCONT');
    await app?.close();
    await redis?.stop();
  });

  it('does not close the resume that superseded it', async () => {
    const topic = 'news/takeover';
    const broadcaster = app.app.get(Broadcaster);
    const registry = app.app.get(ConnectionRegistry);
    const first = await app.connect();
    await first.request('subscribe', { topic });
    await broadcaster.publish(topic, { n: 1 });
    await first.until(() => first.messages().length === 1, 5000, 'the first message');
    const sessionId: string = first.welcome.data.connectionId;
    const session = {
      token: first.welcome.data.sessionToken,
      topics: [topic],
      positions: first.positions(),
    };
    first.close();
    await first.waitClosed();
    const missed = await broadcaster.publish(topic, { n: 2 });

    process.kill(redis.pid, 'SIGSTOP');
    let stopped = true;
    try {
      const second = await app.connect();
      second.sendRaw(JSON.stringify({ event: 'resume', id: 'r1', data: session }));
      expect(await second.waitClosed(10_000)).toEqual(BACKPLANE_UNAVAILABLE);

      // Still stopped: the next resume's claim queues behind the failed one's takeover.
      const third = await app.connect();
      const mine = registry.get(third.welcome.data.connectionId)!;
      third.sendRaw(JSON.stringify({ event: 'resume', id: 'r1', data: session }));
      await new Promise((resolve) => setTimeout(resolve, 100)); // its claim is sent
      expect(registry.get(sessionId)).toBeUndefined();
      process.kill(redis.pid, 'SIGCONT');
      stopped = false;
      await waitFor(() => registry.get(sessionId) === mine, { message: 'the rename' });

      const ack = await third.next((f) => f.id === 'r1', 10_000);
      expect(ack.event).toBe('ack');
      expect(ack.data).toMatchObject({ recovered: true, topics: [topic], replayed: 1 });
      // A direct message to the session comes after both takeovers in the same log.
      await broadcaster.sendToConnection(sessionId, { direct: true });
      await third.until(() => third.messages().length === 2, 5000, 'the direct message');
      expect(third.messages().map((m) => m.payload)).toEqual([{ n: 2 }, { direct: true }]);
      expect(third.messages()[0].offset).toBe(missed);
      expect(third.closed).toBeNull();
    } finally {
      if (stopped) process.kill(redis.pid, 'SIGCONT');
    }
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type InstanceProcess, startInstance } from '../support/app-process.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { WsTestClient } from '../support/ws-test-client.js';

const SECRET = 'resume-unavailable-secret-0123456789ab';
const TOPIC = 'orders/5/status';

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
      expect(await second.waitClosed(10_000)).toEqual({
        code: 1013,
        reason: 'backplane unavailable: reconnect and resume',
      });
      expect(second.frames.filter((f) => f.event === 'error')).toEqual([]);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }

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

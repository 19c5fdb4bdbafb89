import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { matchesFilter } from '../../lib/topics/topic-matcher.js';
import { type InstanceProcess, startInstance } from '../support/app-process.js';
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { WsTestClient } from '../support/ws-test-client.js';

const SECRET = 'multi-instance-test-secret-0123456789';
const PATTERNS = ['orders/1/status', 'orders/+/status', 'news/#', 'news/world', '#', 'orders/3/+'];
const PER_STREAM = 600;
// [instance index, topic]: one publisher per topic, on every instance.
const STREAMS: [number, string][] = [
  [0, 'orders/1/status'],
  [0, 'news/world'],
  [1, 'orders/2/status'],
  [2, 'orders/3/status'],
  [2, 'news/sports'],
];

/** Three instances, 30 raw clients, every instance publishing: the backplane end to end. */
function describeFanOut(
  name: string,
  start: () => Promise<{ env: Record<string, string>; stop: () => Promise<void> }>,
) {
  describe(name, () => {
    let backplane: { env: Record<string, string>; stop: () => Promise<void> };
    let instances: InstanceProcess[] = [];
    let clients: WsTestClient[] = [];

    beforeAll(async () => {
      backplane = await start();
      instances = await Promise.all(
        [0, 1, 2].map(() => startInstance({ ...backplane.env, DWS_SESSION_SECRET: SECRET })),
      );
      clients = await Promise.all(
        Array.from({ length: 30 }, (_, i) => WsTestClient.connect(instances[i % 3].url())),
      );
      await Promise.all(
        clients.map((c, i) => c.request('subscribe', { topic: PATTERNS[i % PATTERNS.length] })),
      );
    }, 60_000);

    afterAll(async () => {
      clients.forEach((c) => c.close());
      await Promise.all(instances.map((i) => i.kill('SIGTERM')));
      await backplane?.stop();
    });

    it('delivers every message to exactly the matching clients, once, in each publisher order', async () => {
      await Promise.all(
        STREAMS.map(([i, topic]) =>
          instances[i].control('publish-many', { topic, count: PER_STREAM, from: `i${i}` }),
        ),
      );
      const expected = clients.map((_, i) => {
        const pattern = PATTERNS[i % PATTERNS.length];
        return STREAMS.filter(([, topic]) => matchesFilter(pattern, topic)).length * PER_STREAM;
      });
      await Promise.all(
        clients.map((c, i) =>
          c.until(() => c.messages().length >= expected[i], 30_000, `${expected[i]} messages`),
        ),
      );

      const orderOf = new Map<string, string[]>();
      clients.forEach((client, i) => {
        const pattern = PATTERNS[i % PATTERNS.length];
        const received = client.messages().filter((m) => !m.topic.startsWith('$'));
        expect(received).toHaveLength(expected[i]);
        for (const [, topic] of STREAMS.filter(([, t]) => matchesFilter(pattern, t))) {
          const onTopic = received.filter((m) => m.topic === topic);
          expect(onTopic.map((m) => m.payload.seq)).toEqual(
            Array.from({ length: PER_STREAM }, (_, k) => k),
          );
          const offsets = onTopic.map((m) => m.offset);
          if (orderOf.has(topic)) expect(offsets).toEqual(orderOf.get(topic));
          else orderOf.set(topic, offsets);
        }
      });
      expect(orderOf.size).toBe(STREAMS.length);
    }, 60_000);

    it('sends to a connection, broadcasts and disconnects across instances', async () => {
      const onC = clients[2];
      const id = onC.welcome.data.connectionId;
      await instances[0].control('send', { ids: [id], payload: { from: 'A' } });
      expect(
        (await onC.next((f) => f.data?.topic === `$dws/conn/${id}`, 10_000)).data.payload,
      ).toEqual({ from: 'A' });

      await instances[1].control('broadcast', { payload: { hello: 'all' } });
      await Promise.all(
        clients.map((c) => c.next((f) => f.data?.topic === '$dws/broadcast', 10_000)),
      );

      await instances[0].control('disconnect', { id, code: 4100, reason: 'moderated' });
      expect(await onC.waitClosed(10_000)).toEqual({ code: 4100, reason: 'moderated' });
      expect(clients.filter((c) => c.closed !== null)).toHaveLength(1);
    }, 30_000);
  });
}

describeFanOut('three instances on one Redis', async () => {
  const redis: RedisServer = await startRedisServer();
  return { env: { BROKER: redis.url }, stop: () => redis.stop() };
});

describeFanOut('three instances on a 3-node Redis Cluster', async () => {
  const cluster: RedisCluster = await startRedisCluster(3);
  return {
    env: { BROKER_CLUSTER: cluster.seeds.map((s) => `${s.host}:${s.port}`).join(',') },
    stop: () => cluster.stop(),
  };
});

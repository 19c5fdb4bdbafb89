import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisStreamsBroker } from '../../../lib/broker/redis-streams/index.js';
import { RedisPresenceStore } from '../../../lib/presence/redis-presence.store.js';
import { redisCli } from '../../support/redis-cli.js';
import { type RedisCluster, startRedisCluster } from '../../support/redis-cluster.js';
import { waitFor } from '../../support/wait-for.js';

let cluster: RedisCluster;
const brokers: RedisStreamsBroker[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster(3);
});
afterAll(async () => {
  await Promise.all(brokers.map((broker) => broker.close()));
  await cluster?.stop();
});

/** Presence through the broker's own Cluster connection, as an app gets it. */
async function presenceStore(ttlMs: number) {
  const broker = new RedisStreamsBroker({ connection: { cluster: cluster.seeds }, shards: 4 });
  brokers.push(broker);
  await broker.connect();
  const store = new RedisPresenceStore(broker, { ttlMs });
  await store.maintain();
  return store;
}

describe('RedisPresenceStore on a 3-node Redis Cluster', () => {
  it('keeps, answers and sweeps entries on keys spread over the nodes, without CROSSSLOT', async () => {
    const topics = ['rooms/1', 'rooms/2', 'rooms/3', 'rooms/4', 'rooms/5', 'rooms/6'];
    const [a, b] = [await presenceStore(1000), await presenceStore(1000)];
    const ada = { connectionId: 'c-ada', userId: 'ada', info: { n: 1 } };
    const bob = { connectionId: 'c-bob', userId: null, info: null };
    for (const topic of topics) {
      expect(await a.join(topic, ada, 's-ada')).toBe(true);
      expect(await b.join(topic, bob, 's-bob')).toBe(true);
    }
    for (const topic of topics) expect(await b.members(topic)).toEqual([ada, bob]);

    // b stops renewing (a crash): a leaves it out, then sweeps it, topic by topic.
    await b.maintain();
    await waitFor(async () => (await a.members('rooms/1')).length === 1, { timeout: 5000 });
    const swept = await a.maintain();
    expect(swept.map((c) => [c.topic, c.action, c.member]).sort()).toEqual(
      topics.map((topic) => [topic, 'leave', bob]),
    );
    await a.close();
    const keys = await Promise.all(
      cluster.nodes.map((node) => redisCli(node.port, ['--raw', 'KEYS', 'dws:presence:*'])),
    );
    // Nothing of a (closed) nor of b (swept) is left on any node.
    expect(keys.join('')).toBe('');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisStreamsBroker } from '../../../lib/broker/redis-streams/index.js';
import { shardOfTopic } from '../../../lib/protocol/offset.js';
import { redisCli } from '../../support/redis-cli.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';

/** Calls of `command` Redis counted since the last CONFIG RESETSTAT (INFO commandstats). */
async function calls(port: number, command: string): Promise<number> {
  const stats = await redisCli(port, ['INFO', 'commandstats']);
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
}

/** One topic on each of the 16 shards. */
function topicPerShard(): string[] {
  const topics = new Map<number, string>();
  for (let n = 0; topics.size < 16; n++) {
    const topic = `orders/${n}/status`;
    const shard = shardOfTopic(topic, 16);
    if (!topics.has(shard)) topics.set(shard, topic);
  }
  return [...topics.values()];
}

describe('publishReplicas: WAIT (issue 18)', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let broker: RedisStreamsBroker;

  beforeAll(async () => {
    primary = await startRedisServer();
    replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    await waitFor(
      async () =>
        /slave0:.*state=online/.test(await redisCli(primary.port, ['INFO', 'replication'])),
      { message: 'the replica linked to the primary', timeout: 10_000 },
    );
    broker = new RedisStreamsBroker({ connection: primary.url, publishReplicas: 1 });
    await broker.connect();
  }, 20_000);
  afterAll(async () => {
    await broker?.close();
    await replica?.stop();
    await primary?.stop();
  });

  it('sends one WAIT for the batches of several shards whose replies came together, not one per shard', async () => {
    const topics = topicPerShard();
    await redisCli(primary.port, ['CONFIG', 'RESETSTAT']);
    // Published in one tick: one script call per shard, all written together.
    const acked = await Promise.all(
      topics.map((topic, n) => broker.publish({ topic, payload: JSON.stringify({ n }) })),
    );
    expect(acked).toHaveLength(16);
    // One script call per shard (EVAL where the script was not loaded yet).
    expect((await calls(primary.port, 'evalsha')) + (await calls(primary.port, 'eval'))).toBe(16);
    // One per read of the replies: usually 1; the 16 replies may arrive in more than one read.
    const waits = await calls(primary.port, 'wait');
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(waits).toBeLessThan(16);
  });
});

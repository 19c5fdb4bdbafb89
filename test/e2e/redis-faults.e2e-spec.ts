import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { InstanceProcess } from '../support/app-process.js';
import { redisCli } from '../support/redis-cli.js';
import { type RedisInstances, startRedisInstances } from '../support/redis-instances.js';
import type { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { WsTestClient } from '../support/ws-test-client.js';

const SECRET = 'redis-faults-secret-0123456789abcdef';

/** The app, not just the broker, through Redis connection kills and a Redis restart. */
describe('app under Redis faults', () => {
  let cluster: RedisInstances;
  let redis: RedisServer;
  let a: InstanceProcess;
  let b: InstanceProcess;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    cluster = await startRedisInstances(2, { DWS_SESSION_SECRET: SECRET });
    ({ redis } = cluster);
    [a, b] = cluster.instances;
  }, 30_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await cluster?.stop('SIGKILL');
  });

  /**
   * Kills the readers of both instances (the connections reading with XREAD), once both are back
   * from the last kill: one still in its reconnect backoff or its recheck would be missed.
   */
  async function killReaders(): Promise<void> {
    const ids = await waitFor(
      async () => {
        const list = await redisCli(redis.port, ['CLIENT', 'LIST']);
        const found = list
          .split('\n')
          .filter((line) => / cmd=xread/.test(line))
          .map((line) => /^id=(\d+)/.exec(line)![1]);
        return found.length === 2 ? found : null;
      },
      { timeout: 10_000, message: 'the readers of both instances in XREAD' },
    );
    for (const id of ids) await redisCli(redis.port, ['CLIENT', 'KILL', 'ID', id]);
  }

  it('delivers every message exactly once while the readers’ Redis connections are killed, repeatedly', async () => {
    const readers = await Promise.all(
      Array.from({ length: 10 }, () => WsTestClient.connect(b.url())),
    );
    clients.push(...readers);
    await Promise.all(readers.map((c) => c.request('subscribe', { topic: 'orders/9/status' })));
    const publishing = a.control('publish-many', {
      topic: 'orders/9/status',
      count: 2000,
      from: 'A',
      intervalMs: 1,
    });
    let kills = 0;
    while (kills < 5) {
      await readers[0].until(() => readers[0].messages().length >= 300 * (kills + 1), 20_000);
      await killReaders();
      kills++;
    }
    await publishing;
    await Promise.all(
      readers.map((c) => c.until(() => c.messages().length >= 2000, 20_000, '2000 messages')),
    );
    for (const reader of readers) {
      expect(reader.messages().map((m) => m.payload.seq)).toEqual(
        Array.from({ length: 2000 }, (_, k) => k),
      );
    }
  }, 60_000);

  it('survives Redis going away, answers publishes with DWS_ERR_BROKER_UNAVAILABLE, and serves again after', async () => {
    const reader = await WsTestClient.connect(b.url());
    const writer = await WsTestClient.connect(a.url());
    clients.push(reader, writer);
    await reader.request('subscribe', { topic: 'orders/+/status' });

    await redis.kill('SIGKILL');
    const refused = await writer.request(
      'publish',
      { topic: 'orders/1/status', payload: { seq: -1 } },
      10_000,
    );
    expect(refused.data).toEqual({
      code: 'DWS_ERR_BROKER_UNAVAILABLE',
      message: 'The message could not be published: the backplane is unavailable. Retry later.',
    });
    await redis.restart();

    const ack = await waitFor(
      async () => {
        const answer = await writer.request(
          'publish',
          { topic: 'orders/1/status', payload: { seq: 1 } },
          10_000,
        );
        return answer.event === 'ack' ? answer : null;
      },
      { timeout: 20_000, interval: 200, message: 'a publish accepted after the restart' },
    );
    const delivered = await reader.next(
      (f) => f.event === 'message' && f.data.offset === ack.data.offset,
      10_000,
    );
    expect(delivered.data).toEqual({
      topic: 'orders/1/status',
      payload: { seq: 1 },
      offset: ack.data.offset,
    });
    expect(a.stderr()).toContain('Backplane unreachable');
    expect(reader.closed).toBeNull();
    expect(writer.closed).toBeNull();
  }, 60_000);
});

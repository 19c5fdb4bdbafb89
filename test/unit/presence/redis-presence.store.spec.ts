import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisBacked, RedisClient } from '../../../lib/broker/redis-streams/connection.js';
import { RedisPresenceStore } from '../../../lib/presence/redis-presence.store.js';
import { redisCli } from '../../support/redis-cli.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';
import { describePresenceStoreContract } from './presence-store.contract.js';

/** A store on its own connection, as a Redis-backed broker would share it. */
function sharing(client: RedisClient, keyPrefix: string): RedisBacked {
  return { keyPrefix, redisClient: () => client };
}

let server: RedisServer;
let prefixes = 0;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  clients.splice(0).forEach((client) => client.disconnect());
  await server?.stop();
});

/** A client configured as the broker's publisher is: no offline queue, no resend. */
async function connectClient(url: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
    // See lib/broker/redis-streams/connection.ts: bounds a timer that would hold Jest.
    disconnectTimeout: 200,
  } as RedisOptions);
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

describePresenceStoreContract(
  'RedisPresenceStore',
  async () =>
    new RedisPresenceStore(sharing(await connectClient(server.url), `p${++prefixes}`), {
      ttlMs: 15_000,
    }),
);

const ada = { connectionId: 'c-ada', userId: 'ada', info: { name: 'Ada' } };
const bob = { connectionId: 'c-bob', userId: 'bob', info: null };

describe('RedisPresenceStore across instances', () => {
  let prefix: string;
  const keys = async () =>
    (await redisCli(server.port, ['--raw', 'KEYS', `${prefix}:presence:*`]))
      .split('\n')
      .filter(Boolean)
      .sort();
  const instances = async () =>
    (await redisCli(server.port, ['--raw', 'SMEMBERS', `${prefix}:presence:instances`]))
      .split('\n')
      .filter(Boolean);

  async function instance(ttlMs = 15_000): Promise<RedisPresenceStore> {
    const store = new RedisPresenceStore(sharing(await connectClient(server.url), prefix), {
      ttlMs,
    });
    await store.maintain();
    return store;
  }

  const key = (name: string) => `${prefix}:presence:${name}`;

  it("answers with every instance's members, on any instance", async () => {
    prefix = `x${++prefixes}`;
    const [a, b] = [await instance(), await instance()];
    await a.join('rooms/1', ada, 's-ada');
    await b.join('rooms/1', bob, 's-bob');
    expect(await a.members('rooms/1')).toEqual([ada, bob]);
    expect(await b.members('rooms/1')).toEqual([ada, bob]);
    await Promise.all([a.close(), b.close()]);
    expect(await keys()).toEqual([]);
  });

  it("leaves out a dead instance's entries within its TTL, then sweeps them with leaves", async () => {
    prefix = `x${++prefixes}`;
    const ttlMs = 1000;
    const [a, b, c] = [await instance(ttlMs), await instance(ttlMs), await instance(ttlMs)];
    await a.join('rooms/1', ada, 's-ada');
    await b.join('rooms/1', bob, 's-bob');
    // b dies: it renews nothing from now on and never closes.
    await b.maintain();
    const lastRenewal = Date.now();
    expect(await a.members('rooms/1')).toEqual([ada, bob]);
    await waitFor(async () => (await a.members('rooms/1')).length === 1, {
      timeout: 5000,
      interval: 20,
      message: "bob's entry to be left out",
    });
    const elapsed = Date.now() - lastRenewal;
    expect(await a.members('rooms/1')).toEqual([ada]);
    expect(elapsed).toBeGreaterThanOrEqual(ttlMs - 50);
    expect(elapsed).toBeLessThan(ttlMs + 500);

    // Two live instances sweep at once: the leave is announced once.
    const [fromA, fromC] = await Promise.all([a.maintain(), c.maintain()]);
    expect([...fromA, ...fromC]).toEqual([{ topic: 'rooms/1', action: 'leave', member: bob }]);
    expect((await instances()).sort()).toEqual([a.instanceId, c.instanceId].sort());
    expect(await redisCli(server.port, ['HKEYS', key('topic:rooms/1')])).toBe('c-ada');

    // Memory stays bounded: with its last member the topic's keys go too.
    await a.leave('rooms/1', ada.connectionId, 's-ada');
    await c.close();
    expect(await keys()).toEqual([key(`instance:${a.instanceId}`), key('instances')]);
    await a.close();
    expect(await keys()).toEqual([]);
  });

  it('rewrites its entries after Redis lost them; its own answers list them meanwhile', async () => {
    prefix = `x${++prefixes}`;
    const [a, b] = [await instance(), await instance()];
    await a.join('rooms/1', ada, 's-ada');
    await redisCli(server.port, ['DEL', ...(await keys())]);
    expect(await b.members('rooms/1')).toEqual([]);
    expect(await a.members('rooms/1')).toEqual([ada]);
    expect(await a.maintain()).toEqual([{ topic: 'rooms/1', action: 'join', member: ada }]);
    expect(await b.members('rooms/1')).toEqual([ada]);
    expect(await instances()).toEqual([a.instanceId]);
    await Promise.all([a.close(), b.close()]);
  });

  it('registers again before a join returns when Redis lost its data, and asks for the rest to be repaired', async () => {
    prefix = `x${++prefixes}`;
    const [a, b] = [await instance(), await instance()];
    let repairs = 0;
    a.onRepairNeeded(() => repairs++);
    await a.join('rooms/1', ada, 's-ada');
    const lostId = a.instanceId;
    await redisCli(server.port, ['FLUSHALL']);
    // Bob's join is in b's very next answer: a's liveness is back before the join returns.
    expect(await a.join('rooms/2', bob, 's-bob')).toBe(true);
    expect(a.instanceId).not.toBe(lostId);
    expect(await b.members('rooms/2')).toEqual([bob]);
    expect(repairs).toBe(1);
    // Ada's entry is the repair's (what the listener triggers), not the join's.
    expect(await b.members('rooms/1')).toEqual([]);
    expect(await a.maintain()).toEqual([{ topic: 'rooms/1', action: 'join', member: ada }]);
    expect(await b.members('rooms/1')).toEqual([ada]);
    expect(await keys()).toEqual(
      [
        key(`instance:${a.instanceId}`),
        key(`instance:${a.instanceId}:topics`),
        key('instances'),
        key('topic:rooms/1'),
        key('topic:rooms/2'),
      ].sort(),
    );
    await Promise.all([a.close(), b.close()]);
  });

  it('answers at most `limit` members of a large topic, reading about that many', async () => {
    prefix = `x${++prefixes}`;
    const [a, b] = [await instance(), await instance()];
    const many = Array.from({ length: 3000 }, (_, i) => ({
      connectionId: `c-${String(i).padStart(4, '0')}`,
      userId: null,
      info: null,
    }));
    await Promise.all(many.map((m) => a.join('rooms/big', m, `s-${m.connectionId}`)));
    const answer = await b.members('rooms/big', 101);
    expect(answer).toHaveLength(101);
    const ids = answer.map((m) => m.connectionId);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(101);
    expect(await b.count('rooms/big')).toBe(3000);
    expect(await b.members('rooms/big')).toEqual(many);
    // On a, its own members come from its mirror: the first 101 by connection id.
    expect(await a.members('rooms/big', 101)).toEqual(many.slice(0, 101));
    await Promise.all([a.close(), b.close()]);
  });

  it('continues under a new id after being taken for dead, and keeps its entries', async () => {
    prefix = `x${++prefixes}`;
    const [a, b] = [await instance(), await instance()];
    await a.join('rooms/1', ada, 's-ada');
    const staleId = a.instanceId;
    // a stalled past its TTL: its liveness lapsed, and b swept its entries.
    await redisCli(server.port, ['DEL', key(`instance:${staleId}`)]);
    expect(await b.maintain()).toEqual([{ topic: 'rooms/1', action: 'leave', member: ada }]);
    expect(await b.members('rooms/1')).toEqual([]);
    // Back, a notices and writes its entries again under a new id, which b sees as alive.
    expect(await a.maintain()).toEqual([{ topic: 'rooms/1', action: 'join', member: ada }]);
    expect(a.instanceId).not.toBe(staleId);
    expect(await b.members('rooms/1')).toEqual([ada]);
    expect(await b.maintain()).toEqual([]);
    expect((await instances()).sort()).toEqual([a.instanceId, b.instanceId].sort());
    await Promise.all([a.close(), b.close()]);
    expect(await keys()).toEqual([]);
  });
});

describe('RedisPresenceStore while Redis is down', () => {
  let own: RedisServer;
  beforeAll(async () => {
    own = await startRedisServer();
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('repairs the joins and leaves that failed once Redis is back', async () => {
    const a = new RedisPresenceStore(sharing(await connectClient(own.url), 'down'), {
      ttlMs: 15_000,
    });
    await a.maintain();
    await a.join('rooms/1', ada, 's-ada');
    await own.kill();
    await expect(a.join('rooms/1', bob, 's-bob')).rejects.toThrow();
    await expect(a.leave('rooms/1', ada.connectionId, 's-ada')).rejects.toThrow();
    await own.restart();
    await waitFor(() => a.maintain().then(() => true), {
      timeout: 10_000,
      interval: 50,
      message: 'a maintenance to succeed after the restart',
    });
    expect(await a.members('rooms/1')).toEqual([bob]);
    await a.close();
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import type { Broker, BrokerEntry } from '../../lib/broker/broker.interface.js';
import { InMemoryBroker } from '../../lib/broker/in-memory/in-memory.broker.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

/**
 * Issue 19: while one backplane node stalls, a connection's publishes to the shards of the others
 * are acked at once. The broker is the embedded one; its publishes to one shard wait for a gate,
 * as they would for a Redis master that died and has no replica promoted yet.
 */
describe('a connection whose publish waits on a stalled shard', () => {
  let app: TestApp | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  function stalledBroker(inner: InMemoryBroker, stalled: number) {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const publish = async (entry: BrokerEntry) => {
      if (inner.shardOf(entry.topic) === stalled) await gate;
      return inner.publish(entry);
    };
    const broker = new Proxy(inner, {
      get: (target, key) => {
        if (key === 'publish') return publish;
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Broker;
    return { broker, open };
  }

  it('acks its later frames on other shards first, then the stalled ones in their order', async () => {
    const inner = new InMemoryBroker();
    // Two rooms on different shards.
    const rooms = Array.from({ length: 40 }, (_, k) => `chat/rooms/r${k}`);
    const slow = rooms[0];
    const fast = rooms.find((room) => inner.shardOf(room) !== inner.shardOf(slow))!;
    const { broker, open } = stalledBroker(inner, inner.shardOf(slow));
    app = await startTestApp({ broker }, { providers: [FixtureGateway] });
    const reader = await app.connect();
    await reader.request('subscribe', { topic: slow });
    const client = await app.connect();
    const send = (id: string, event: string, data: unknown) =>
      client.sendRaw(JSON.stringify({ event, id, data }));
    send('p1', 'publish', { topic: slow, payload: { text: 'one' } });
    send('p2', 'publish', { topic: fast, payload: { text: 'two' } });
    send('s3', 'subscribe', { topic: 'news/x' });
    send('p4', 'publish', { topic: slow, payload: { text: 'four' } });

    await client.next((f) => f.id === 's3');
    const answered = () => client.frames.filter((f) => f.event === 'ack').map((f) => f.id);
    expect(answered()).toEqual(['p2', 's3']);

    open();
    await client.next((f) => f.id === 'p4');
    expect(answered()).toEqual(['p2', 's3', 'p1', 'p4']);
    const [one, four] = ['p1', 'p4'].map((id) => client.frames.find((f) => f.id === id)!);
    expect([one.data.topic, four.data.topic]).toEqual([slow, slow]);
    // Same shard, in the connection's order: the reader gets them so.
    await reader.until(() => reader.messages(slow).length === 2);
    expect(reader.messages(slow).map((m) => [m.payload.text, m.offset])).toEqual([
      ['ONE', one.data.offset],
      ['FOUR', four.data.offset],
    ]);
  });
});

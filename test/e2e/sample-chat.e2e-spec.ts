import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  createTestingGateway,
  errorOf,
  nextError,
  recordMessages,
  type TestingGateway,
} from '../../lib/testing/index.js';
import { AppModule } from '../../sample/app.module.js';
import type { EventMap, TopicMap } from '../../sample/generated/topics.js';

/** The sample chat's own tests, written as an application's would be: with the testing entry point. */
describe('sample chat (nestjs-distributed-ws/testing)', () => {
  let gateway: TestingGateway<TopicMap, EventMap>;

  // A fresh app per test (about 20 ms): no connection or message leaks from one test to the next.
  beforeEach(async () => {
    gateway = await createTestingGateway<TopicMap, EventMap>(AppModule);
  });
  // `?.`: when a boot fails, there is no gateway to close.
  afterEach(() => gateway?.close());

  it('serves its one gateway on /ws', () => {
    expect(gateway.paths).toEqual(['/ws']);
    expect(gateway.url).toBe(`ws://127.0.0.1:${gateway.port}/ws`);
  });

  it('delivers a message published by one guest to another, stamped by the server', async () => {
    const [alice, bob] = await Promise.all([gateway.connect(), gateway.connect()]);
    const rooms = await recordMessages(bob, 'chat/rooms/lobby');

    const ack = await alice.publish('chat/rooms/lobby', { text: 'hello', author: 'ada' });
    const anonymous = await alice.publish('chat/rooms/lobby', { text: 'who am I?' });
    const [named, guest] = await rooms.take(2);

    expect(named).toEqual({
      topic: 'chat/rooms/lobby',
      offset: ack.offset,
      payload: { text: 'hello', author: 'ada', sentAt: named.payload.sentAt },
    });
    expect(new Date(named.payload.sentAt!).toISOString()).toBe(named.payload.sentAt);
    expect(guest).toEqual({
      topic: 'chat/rooms/lobby',
      offset: anonymous.offset,
      payload: {
        text: 'who am I?',
        author: `guest-${alice.connectionId!.slice(0, 6)}`,
        sentAt: guest.payload.sentAt,
      },
    });
  });

  it('refuses a message the room schema rejects, with DWS_ERR_INVALID_PAYLOAD', async () => {
    const alice = await gateway.connect();
    const empty = await errorOf(alice.publish('chat/rooms/lobby', { text: '' }));
    expect([empty.code, empty.message]).toEqual([
      'DWS_ERR_INVALID_PAYLOAD',
      'payload.text must NOT have fewer than 1 characters.',
    ]);
    // @ts-expect-error the schema forbids extra fields, and so does the topic map
    const extra = await errorOf(alice.publish('chat/rooms/lobby', { text: 'hi', admin: true }));
    expect([extra.code, extra.message]).toEqual([
      'DWS_ERR_INVALID_PAYLOAD',
      'payload has unexpected property "admin".',
    ]);
  });

  it('denies the staff room with DWS_ERR_FORBIDDEN, and reports it as an error event', async () => {
    const alice = await gateway.connect();
    const reported = nextError(alice);
    const denied = await errorOf(recordMessages(alice, 'chat/rooms/staff'));
    expect([denied.code, denied.message]).toEqual([
      'DWS_ERR_FORBIDDEN',
      'Subscription to "chat/rooms/staff" was denied.',
    ]);
    expect((await reported).code).toBe('DWS_ERR_FORBIDDEN');
  });

  it('refuses patterns over every room, which would include the staff room', async () => {
    const alice = await gateway.connect();
    for (const pattern of ['chat/rooms/+', 'chat/#'] as const) {
      const refused = await errorOf(recordMessages(alice, pattern));
      expect([refused.code, refused.message]).toEqual([
        'DWS_ERR_WILDCARD_NOT_ALLOWED',
        `Pattern "${pattern}" leaves "roomId" of "chat/rooms/{roomId}" open, which that topic does not accept: subscribe to each topic. To accept it, declare @Topic('chat/rooms/{roomId}', { wildcards: true }): the @OnSubscribe hook then decides, with the open parameters in context.openParams.`,
      ]);
    }
  });

  it('lets clients read announcements but not write them', async () => {
    const alice = await gateway.connect();
    const refused = await errorOf(alice.publish('chat/announcements', { text: 'free pizza' }));
    expect([refused.code, refused.message]).toEqual([
      'DWS_ERR_PUBLISH_NOT_ALLOWED',
      'Clients may not publish to "chat/announcements".',
    ]);
  });

  it('answers the stats event with the connections of the instance', async () => {
    const [alice] = await Promise.all([gateway.connect(), gateway.connect()]);
    await expect(alice.call('stats', {})).resolves.toEqual({ connections: 2 });
  });
});

/** Compiled, never run: the clients are typed by the generated maps. */
export async function typeChecks(gateway: TestingGateway<TopicMap, EventMap>): Promise<void> {
  const client = await gateway.connect();
  const { connections }: { connections: number } = await client.call('stats', {});
  void connections;
  // @ts-expect-error the sample has no such event
  await client.call('kick', { who: 'bob' });
  const rooms = await recordMessages(client, 'chat/rooms/lobby');
  const text: string = (await rooms.next()).payload.text;
  void text;
}

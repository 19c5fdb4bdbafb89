import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import { connect, type DistributedWsClient, DwsClientError } from '../../lib/client/index.js';
import {
  Broadcaster,
  BroadcastError,
  OnSubscribe,
  type SubscribeContext,
  Topic,
} from '../../lib/index.js';
import { presenceFrames } from '../support/presence.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';
import { type Frame, WsTestClient } from '../support/ws-test-client.js';
import { recordEvents } from '../unit/client/record-events.js';

@WebSocketGateway({ path: '/ws' })
@Topic('rooms/{roomId}', {
  presence: { joinLeave: true },
  clientsMayPublish: true,
  wildcards: true,
})
@Topic('quiet/{roomId}', { presence: true })
@Topic('plain/{roomId}')
class PresenceGateway {
  @OnSubscribe('rooms/{roomId}')
  notSecret(context: SubscribeContext<{ roomId: string }>): boolean {
    return context.params.roomId !== 'secret';
  }
}

/** The user is the token: `?access_token=ada` is user `ada`. */
const authenticate = (_request: IncomingMessage, token: string | null) => ({
  userId: token ?? 'anonymous',
});

describe('presence on one instance (memory broker)', () => {
  let app: TestApp;
  const member = (client: WsTestClient, info: unknown = null) => ({
    connectionId: client.welcome.data.connectionId as string,
    userId: new URL(client.ws.url).searchParams.get('access_token'),
    info,
  });
  const byId = (a: { connectionId: string }, b: { connectionId: string }) =>
    a.connectionId < b.connectionId ? -1 : 1;
  const as = (user: string) => WsTestClient.connect(`${app.url()}?access_token=${user}`);
  const opened: WsTestClient[] = [];
  async function user(name: string): Promise<WsTestClient> {
    const client = await as(name);
    opened.push(client);
    return client;
  }

  beforeAll(async () => {
    app = await startTestApp(
      { authenticate, maxPresenceInfoBytes: 64 },
      { providers: [PresenceGateway] },
    );
  });
  afterEach(() => opened.splice(0).forEach((c) => c.close()));
  afterAll(() => app?.close());

  it('lists exact subscribers with user and info; joins and leaves reach every subscriber', async () => {
    const [ada, bob, watcher] = [await user('ada'), await user('bob'), await user('watcher')];
    const adaInfo = { name: 'Ada', avatar: 'a.png' };
    expect(await ada.request('subscribe', { topic: 'rooms/1', info: adaInfo })).toMatchObject({
      event: 'ack',
      data: { topic: 'rooms/1', subscribed: true, alreadySubscribed: false, presence: true },
    });
    // Joins are announced when their window ends (presenceWindowMs): whoever is subscribed then
    // receives them. The others subscribe after Ada's join went out.
    await ada.until(() => presenceFrames(ada).length === 1);
    // A wildcard subscriber receives the topic's presence frames but is not a member.
    const wildcard = await watcher.request('subscribe', { topic: 'rooms/+' });
    expect(wildcard.data).toEqual({ topic: 'rooms/+', subscribed: true, alreadySubscribed: false });
    await bob.request('subscribe', { topic: 'rooms/1' });

    const both = [member(ada, adaInfo), member(bob)].sort(byId);
    expect((await watcher.request('presence', { topic: 'rooms/1' })).data).toEqual({
      topic: 'rooms/1',
      members: both,
    });
    const join = (who: WsTestClient, info: unknown = null) => ({
      topic: 'rooms/1',
      action: 'join',
      member: member(who, info),
    });
    await ada.until(() => presenceFrames(ada).length === 2);
    expect(presenceFrames(ada)).toEqual([join(ada, adaInfo), join(bob)]);
    await watcher.until(() => presenceFrames(watcher).length === 1);
    expect(presenceFrames(watcher)).toEqual([join(bob)]);

    expect((await bob.request('unsubscribe', { topic: 'rooms/1' })).data.wasSubscribed).toBe(true);
    const leaveBob = { topic: 'rooms/1', action: 'leave', member: member(bob) };
    await watcher.until(() => presenceFrames(watcher).length === 2);
    expect(presenceFrames(watcher)[1]).toEqual(leaveBob);
    expect((await watcher.request('presence', { topic: 'rooms/1' })).data.members).toEqual([
      member(ada, adaInfo),
    ]);

    ada.close();
    await watcher.until(() => presenceFrames(watcher).length === 3);
    expect(presenceFrames(watcher)[2]).toEqual({
      topic: 'rooms/1',
      action: 'leave',
      member: member(ada, adaInfo),
    });
    expect((await watcher.request('presence', { topic: 'rooms/1' })).data.members).toEqual([]);
    // Bob left before Ada: he got her frames up to his own join, nothing after.
    expect(presenceFrames(bob)).toEqual([join(bob)]);
  });

  it('tracks a topic declared with presence: true without sending frames', async () => {
    const [ada, bob] = [await user('ada'), await user('bob')];
    await ada.request('subscribe', { topic: 'quiet/1', info: 'hi' });
    await bob.request('subscribe', { topic: 'quiet/1', info: 'yo' });
    expect((await ada.request('presence', { topic: 'quiet/1' })).data.members).toEqual(
      [member(ada, 'hi'), member(bob, 'yo')].sort(byId),
    );
    // Frames of a topic are delivered in order: a frame sent for the joins would precede this.
    await app.app.get(Broadcaster).publish('quiet/1', { marker: true });
    await ada.until(() => ada.messages('quiet/1').length === 1);
    expect(presenceFrames(ada)).toEqual([]);
  });

  it('answers every presence request it cannot serve with a stable code', async () => {
    const ada = await user('ada');
    const refusals: [unknown, string, string?][] = [
      [
        { topic: 'plain/1' },
        'DWS_ERR_PRESENCE_DISABLED',
        `Topic "plain/1" does not track presence: declare it with @Topic('plain/{roomId}', { presence: true }).`,
      ],
      [
        { topic: 'rooms/secret' },
        'DWS_ERR_FORBIDDEN',
        'Subscription to "rooms/secret" was denied.',
      ],
      [{ topic: 'rooms/+' }, 'DWS_ERR_INVALID_TOPIC'],
      [{ topic: '$dws/broadcast' }, 'DWS_ERR_RESERVED_TOPIC'],
      [{ topic: 'nothing/here' }, 'DWS_ERR_UNKNOWN_TOPIC'],
      [undefined, 'DWS_ERR_BAD_REQUEST', 'presence needs data {"topic": string}.'],
    ];
    for (const [data, code, message] of refusals) {
      const answer: Frame = await ada.request('presence', data);
      expect(answer.event).toBe('error');
      expect(answer.data.code).toBe(code);
      if (message) expect(answer.data.message).toBe(message);
    }
    const tooBig = await ada.request('subscribe', { topic: 'rooms/2', info: 'x'.repeat(63) });
    expect(tooBig.data).toEqual({
      code: 'DWS_ERR_BAD_REQUEST',
      message: 'Presence info must be at most 64 bytes of JSON.',
    });
    expect((await ada.request('presence', { topic: 'rooms/2' })).data.members).toEqual([]);
  });

  it('answers Broadcaster.presence on the server', async () => {
    const ada = await user('ada');
    await ada.request('subscribe', { topic: 'rooms/3', info: { seat: 4 } });
    const broadcaster = app.app.get(Broadcaster);
    expect(await broadcaster.presence('rooms/3')).toEqual([member(ada, { seat: 4 })]);
    await expect(broadcaster.presence('plain/3')).rejects.toThrow(BroadcastError);
    await expect(broadcaster.presence('rooms/#')).rejects.toThrow(BroadcastError);
  });

  it('keeps a resumed session as one member, without a leave, when it takes over', async () => {
    const [ada, watcher] = [await user('ada'), await user('watcher')];
    await watcher.request('subscribe', { topic: 'rooms/4' });
    await ada.request('subscribe', { topic: 'rooms/4', info: { v: 1 } });
    const again = await user('ada');
    const resumed = await again.request('resume', {
      token: ada.welcome.data.sessionToken,
      topics: ['rooms/4'],
      positions: ada.positions(),
      info: { 'rooms/4': { v: 2 } },
    });
    expect(resumed.data).toMatchObject({ connectionId: member(ada).connectionId, rejected: [] });
    expect((await ada.waitClosed()).code).toBe(4003);
    const registry = app.app.get(ConnectionRegistry);
    await waitFor(
      () => registry.get(member(ada).connectionId) !== undefined && registry.size === 2,
    );
    // The old socket's close is handled by now; a leave it announced would precede the probe's
    // join (a window announces in the order of the changes, and windows follow each other).
    const probe = await user('probe');
    await probe.request('subscribe', { topic: 'rooms/4' });
    await watcher.until(() => presenceFrames(watcher).length >= 3);
    expect(presenceFrames(watcher).map((f) => [f.action, f.member.userId])).toEqual([
      ['join', 'watcher'],
      ['join', 'ada'],
      ['join', 'probe'],
    ]);
    expect((await watcher.request('presence', { topic: 'rooms/4' })).data.members).toEqual(
      [member(ada, { v: 2 }), member(watcher), member(probe)].sort(byId),
    );
  });
});

describe('presence with the client SDK', () => {
  let app: TestApp;
  const clients: DistributedWsClient[] = [];
  beforeAll(async () => {
    // A window longer than the SDK's reconnect and resume: the drop below announces nothing.
    app = await startTestApp(
      { authenticate, presenceWindowMs: 1000 },
      { providers: [PresenceGateway] },
    );
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(() => app?.close());

  function sdk(user: string) {
    const client = connect({ url: app.url(), WebSocket, token: () => user, minDelayMs: 20 });
    clients.push(client);
    return { client, events: recordEvents(client) };
  }

  it('subscribes with info, asks presence(), hears joins, and restores its info on resume', async () => {
    const ada = sdk('ada');
    await ada.client.subscribe('rooms/7', () => undefined, { info: { name: 'Ada' } }).ready;
    const adaMember = {
      connectionId: ada.client.connectionId,
      userId: 'ada',
      info: { name: 'Ada' },
    };
    expect(await ada.client.presence('rooms/7')).toEqual([adaMember]);
    await waitFor(() => ada.events.presence.length === 1, { message: "Ada's own join" });

    const bob = sdk('bob');
    await bob.client.subscribe('rooms/7', () => undefined).ready;
    const bobMember = { connectionId: bob.client.connectionId, userId: 'bob', info: null };
    await waitFor(() => ada.events.presence.length === 2);
    expect(ada.events.presence).toEqual([
      { topic: 'rooms/7', action: 'join', member: adaMember },
      { topic: 'rooms/7', action: 'join', member: bobMember },
    ]);

    // Ada's connection drops; the SDK resumes and sends her info again.
    await app.app.get(Broadcaster).disconnect(adaMember.connectionId!, 4001, 'test');
    await waitFor(() => ada.events.connected.length === 2, { message: "Ada's resume" });
    expect(ada.events.connected[1]).toMatchObject({ resumed: true });
    expect(await bob.client.presence('rooms/7')).toEqual(
      [adaMember, bobMember].sort((a, b) => (a.connectionId! < b.connectionId! ? -1 : 1)),
    );
    // Her leave and her join again fell in one window: they cancel out, nobody hears of the drop.
    // Cy's join, announced after that window, shows that nothing of it is still to come.
    const cy = sdk('cy');
    await cy.client.subscribe('rooms/7', () => undefined).ready;
    await waitFor(() => bob.events.presence.length === 2, {
      message: () => `two presence events, got ${JSON.stringify(bob.events.presence)}`,
    });
    expect(bob.events.presence).toEqual([
      { topic: 'rooms/7', action: 'join', member: bobMember },
      {
        topic: 'rooms/7',
        action: 'join',
        member: { connectionId: cy.client.connectionId, userId: 'cy', info: null },
      },
    ]);

    const refused = await bob.client.presence('plain/1').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DwsClientError);
    expect((refused as DwsClientError).code).toBe('DWS_ERR_PRESENCE_DISABLED');
  });
});

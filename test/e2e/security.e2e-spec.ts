import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Broadcaster } from '../../lib/index.js';
import WebSocket from 'ws';
import { refusedUpgrade } from '../support/refused-upgrade.js';
import { waitFor } from '../support/wait-for.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { WsTestClient } from '../support/ws-test-client.js';
import { authenticate, SecurityGateway, tokenFor } from './fixtures/security.gateway.js';

describe('security: authentication and authorization', () => {
  let app: TestApp;
  const clients: WsTestClient[] = [];
  const connect = async (token: string, via: 'header' | 'query' = 'header') => {
    const client =
      via === 'query'
        ? await WsTestClient.connect(`${app.url()}?access_token=${token}`)
        : await WsTestClient.connect(app.url(), { headers: { authorization: `Bearer ${token}` } });
    clients.push(client);
    return client;
  };
  const as = async (userId: string, role = 'user') =>
    connect(await tokenFor(userId, { name: userId.toUpperCase(), role }));

  beforeAll(async () => {
    app = await startTestApp({ authenticate }, { providers: [SecurityGateway] });
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(() => app.close());

  describe('handshake', () => {
    it('refuses a client without a token with HTTP 401, leaving connected clients alone', async () => {
      const bystander = await as('carol');
      await bystander.request('subscribe', { topic: 'chat/rooms/1' });
      const refused = await refusedUpgrade(app.url());
      expect(refused).toMatchObject({ status: 401, body: 'Unauthorized' });
      expect(refused.headers['www-authenticate']).toBe('Bearer');
      await bystander.request('publish', { topic: 'chat/rooms/1', payload: 'still here' });
      expect((await bystander.next((f) => f.event === 'message')).data.payload).toBe('still here');
    });

    it.each([
      ['expired', () => tokenFor('alice', {}, { expiresIn: -60 })],
      ['malformed', async () => 'not.a.jwt'],
      [
        'wrongly signed',
        () => tokenFor('alice', {}, { secret: 'another-secret-of-32-bytes-long!!' }),
      ],
      ['unsigned (alg none)', async () => `${b64({ alg: 'none' })}.${b64({ sub: 'alice' })}.`],
    ])('refuses a token that is %s with HTTP 401', async (_kind, make) => {
      const token = await make();
      const refused = await refusedUpgrade(app.url(), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(refused.status).toBe(401);
      expect(refused.body).toBe('Unauthorized');
    });

    it('keeps the status of an HttpException thrown by authenticate', async () => {
      const refused = await refusedUpgrade(app.url(), {
        headers: { authorization: 'Bearer down' },
      });
      expect(refused).toMatchObject({ status: 503, body: 'Service Unavailable' });
    });

    it('finds the token in the Authorization header, the subprotocol and the query', async () => {
      const token = await tokenFor('alice', { name: 'Alice', role: 'admin' });
      const expected = { userId: 'alice', name: 'Alice', role: 'admin' };
      const byHeader = await connect(token, 'header');
      const byQuery = await connect(token, 'query');
      for (const client of [byHeader, byQuery]) {
        expect(await client.request('whoami')).toEqual({ event: 'ack', id: 'r1', data: expected });
      }
      expect((await byHeader.request('my-name')).data).toBe('Alice');
      // What a browser does: new WebSocket(url, ['dws.bearer', token]).
      const browserLike = new WebSocket(app.url(), ['dws.bearer', token]);
      const frames: unknown[] = [];
      browserLike.on('message', (data) => frames.push(JSON.parse(String(data))));
      await new Promise((resolve) => browserLike.once('open', resolve));
      browserLike.send(JSON.stringify({ event: 'whoami', id: 'w1' }));
      await waitFor(() => frames.length === 2);
      browserLike.terminate();
      expect(frames[1]).toEqual({ event: 'ack', id: 'w1', data: expected });
      // The server answers the marker, never the token (it would land in logs).
      expect(browserLike.protocol).toBe('dws.bearer');
    });
  });

  describe('the principal across instances (Broadcaster)', () => {
    it('sendToUser reaches every socket of that user and nobody else', async () => {
      const [alice1, alice2, bob] = [await as('alice'), await as('alice'), await as('bob')];
      await app.app.get(Broadcaster).sendToUser('alice', { ping: 1 });
      for (const client of [alice1, alice2]) {
        expect((await client.next((f) => f.event === 'message')).data).toMatchObject({
          topic: '$dws/user/alice',
          payload: { ping: 1 },
        });
      }
      await app.app.get(Broadcaster).sendToUser('bob', { marker: true });
      await bob.next((f) => f.event === 'message');
      expect(bob.messages().map((m) => m.payload)).toEqual([{ marker: true }]);
    });

    it('disconnectUser closes every socket of that user only', async () => {
      const [alice1, alice2, bob] = [await as('alice'), await as('alice'), await as('bob')];
      await app.app.get(Broadcaster).disconnectUser('alice', 4401, 'banned');
      expect(await alice1.waitClosed()).toEqual({ code: 4401, reason: 'banned' });
      expect(await alice2.waitClosed()).toEqual({ code: 4401, reason: 'banned' });
      expect((await bob.request('whoami')).data.userId).toBe('bob');
    });
  });

  describe('authorization', () => {
    it("refuses a subscription to another user's personal topic", async () => {
      const [alice, bob] = [await as('alice'), await as('bob')];
      expect(await alice.request('subscribe', { topic: '$dws/user/bob' })).toEqual({
        event: 'error',
        id: 'r1',
        data: {
          code: 'DWS_ERR_RESERVED_TOPIC',
          message: 'Topic "$dws/user/bob" is reserved to the server.',
        },
      });
      await app.app.get(Broadcaster).sendToUser('bob', { secret: 1 });
      await bob.next((f) => f.event === 'message');
      await app.app.get(Broadcaster).sendToUser('alice', { mine: 1 });
      await alice.next((f) => f.event === 'message');
      expect(alice.messages().map((m) => m.payload)).toEqual([{ mine: 1 }]);
    });

    it.each(['$dws/user/bob', '$dws/broadcast', '$dws/conn/abc'])(
      'refuses a publish to the reserved %s',
      async (topic) => {
        const [alice, bob] = [await as('alice'), await as('bob')];
        expect(await alice.request('publish', { topic, payload: { spoof: true } })).toEqual({
          event: 'error',
          id: 'r1',
          data: {
            code: 'DWS_ERR_RESERVED_TOPIC',
            message: `Topic "${topic}" is reserved to the server.`,
          },
        });
        await app.app.get(Broadcaster).sendToUser('bob', { marker: true });
        await bob.next((f) => f.event === 'message');
        expect(bob.messages().map((m) => m.payload)).toEqual([{ marker: true }]);
      },
    );

    it('lets a hook deny a subscription by topic parameter and principal', async () => {
      const alice = await as('alice');
      expect(await alice.request('subscribe', { topic: 'inbox/bob' })).toEqual({
        event: 'error',
        id: 'r1',
        data: { code: 'DWS_ERR_FORBIDDEN', message: 'Subscription to "inbox/bob" was denied.' },
      });
      // A hook decides by userId: a pattern leaving it open is refused before the hook runs.
      expect((await alice.request('subscribe', { topic: 'inbox/+' })).data.code).toBe(
        'DWS_ERR_WILDCARD_NOT_ALLOWED',
      );
      expect((await alice.request('subscribe', { topic: 'inbox/alice' })).event).toBe('ack');
    });

    it('lets a hook refuse a publish by principal, and stamp it with the principal', async () => {
      const [admin, user] = [await as('root', 'admin'), await as('bob')];
      await user.request('subscribe', { topic: 'announcements/+' });
      expect(
        await user.request('publish', { topic: 'announcements/all', payload: { text: 'fake' } }),
      ).toEqual({
        event: 'error',
        id: 'r2',
        data: {
          code: 'DWS_ERR_FORBIDDEN',
          message: 'Publishing to "announcements/all" was refused.',
        },
      });
      await admin.request('publish', { topic: 'announcements/all', payload: { text: 'real' } });
      await user.next((f) => f.event === 'message');
      expect(user.messages().map((m) => m.payload)).toEqual([{ text: 'real', by: 'ROOT' }]);
    });

    it('refuses to resume a session as another user, and leaves the owner connected', async () => {
      const alice = await as('alice');
      const mallory = await as('mallory');
      const { sessionToken, positions } = alice.welcome.data;
      expect(
        await mallory.request('resume', {
          token: sessionToken,
          topics: ['inbox/alice'],
          positions,
        }),
      ).toEqual({
        event: 'error',
        id: 'r1',
        data: {
          code: 'DWS_ERR_INVALID_SESSION',
          message: 'Session token belongs to another user.',
        },
      });
      await app.app.get(Broadcaster).sendToUser('alice', { still: 'yours' });
      expect((await alice.next((f) => f.event === 'message')).data.payload).toEqual({
        still: 'yours',
      });
      expect(alice.closed).toBeNull();
    });

    it("re-authorizes every subscription on resume, by the resuming user's principal", async () => {
      const first = await as('alice');
      const second = await as('alice');
      const { sessionToken, positions } = first.welcome.data;
      const ack = await second.request('resume', {
        token: sessionToken,
        topics: ['inbox/alice', 'inbox/bob'],
        positions,
      });
      expect(ack.data).toMatchObject({
        topics: ['inbox/alice'],
        rejected: [
          {
            topic: 'inbox/bob',
            code: 'DWS_ERR_FORBIDDEN',
            message: 'Subscription to "inbox/bob" was denied.',
          },
        ],
      });
    });
  });
});

describe("security: authFailure 'close'", () => {
  it('opens, then closes with 1008 before any welcome; the gateway never sees the socket', async () => {
    const app = await startTestApp(
      { authenticate, authFailure: 'close' },
      { providers: [SecurityGateway] },
    );
    try {
      const gateway = app.app.get(SecurityGateway);
      const ws = new WebSocket(app.url(), {
        headers: { authorization: 'Bearer expired.or.forged' },
      });
      const frames: string[] = [];
      ws.on('message', (data) => frames.push(String(data)));
      const closed = await new Promise<[number, string]>((resolve) =>
        ws.once('close', (code, reason) => resolve([code, String(reason)])),
      );
      expect(closed).toEqual([1008, 'Unauthorized']);
      expect(frames).toEqual([]);
      expect(gateway.connections).toBe(0);
      const client = await WsTestClient.connect(app.url(), {
        headers: { authorization: `Bearer ${await tokenFor('alice')}` },
      });
      expect((await client.request('whoami')).data.userId).toBe('alice');
      expect(gateway.connections).toBe(1);
      client.close();
    } finally {
      await app.close();
    }
  });
});

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import type { CredentialClock } from '../../lib/adapter/credential-clock.js';
import { ReservedEventsHandler } from '../../lib/adapter/reserved-events.handler.js';
import {
  connect,
  type DistributedWsClient,
  type DistributedWsClientOptions,
  type WebSocketConstructor,
} from '../../lib/client/index.js';
import { refusedUpgrade } from '../support/refused-upgrade.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { timerFiredAt, waitFor } from '../support/wait-for.js';
import { recordEvents } from '../unit/client/record-events.js';
import { expiringAuthenticate, expiringToken, type SeenRequest } from './fixtures/expiring-auth.js';
import { SecurityGateway } from './fixtures/security.gateway.js';

// The server asks for a new token 10% of the lifetime ahead (at most 30 s): 400 ms for 4 s. The
// SDK's refresh (frame, getToken, authenticate) must fit in that lead, LATE_MS with room to spare.
const LIFETIME_MS = 4000;
const LEAD_MS = 400;
// How late a timer, a close frame and the test's own polling may be on a loaded machine.
const LATE_MS = 300;

/** A browser's WebSocket: subprotocols, no headers (nothing like ws's `terminate`). */
const BrowserWebSocket = function (url: string, protocols?: string[]) {
  return new WebSocket(url, protocols);
} as unknown as WebSocketConstructor;

/** Resolves once the clock passed `time` (ms since the epoch). */
const passed = (time: number) =>
  waitFor(() => Date.now() > time, { timeout: time - Date.now() + 1000, message: 'the time' });

describe('credentials that expire while connected', () => {
  let app: TestApp;
  let clock: CredentialClock;
  const seen: SeenRequest[] = [];
  const sdks: DistributedWsClient[] = [];

  const raw = async (token: string) =>
    app.connect({ headers: { authorization: `Bearer ${token}` } });
  const sdk = async (options: Partial<DistributedWsClientOptions>) => {
    const client = connect({ url: app.url(), WebSocket, minDelayMs: 20, ...options });
    sdks.push(client);
    const events = recordEvents(client);
    await waitFor(() => events.connected.length > 0, { message: 'the SDK connected' });
    return { client, events };
  };

  beforeAll(async () => {
    app = await startTestApp(
      { authenticate: expiringAuthenticate(seen) },
      { providers: [SecurityGateway] },
    );
    clock = app.app.get(ReservedEventsHandler).credentials;
  });
  afterEach(async () => {
    sdks.splice(0).forEach((client) => client.close());
    app.closeClients();
    await waitFor(() => clock.size === 0, { message: 'every countdown cleared' });
    seen.length = 0;
  });
  afterAll(() => app?.close());

  describe('raw clients', () => {
    it('sends a refresh frame 10% of the lifetime before the expiry', async () => {
      const expiresAt = Date.now() + LIFETIME_MS;
      const client = await raw(await expiringToken('alice', expiresAt));
      const refresh = await client.next((f) => f.event === 'refresh', LIFETIME_MS + LATE_MS);
      const receivedAt = Date.now();

      expect(refresh).toEqual({ event: 'refresh', data: { expiresInMs: expect.any(Number) } });
      expect(refresh.data.expiresInMs).toBeGreaterThan(0);
      expect(refresh.data.expiresInMs).toBeLessThanOrEqual(LEAD_MS);
      expect(receivedAt).toBeGreaterThanOrEqual(expiresAt - LEAD_MS);
      expect(receivedAt).toBeLessThan(expiresAt);
      expect(client.closed).toBeNull();
    });

    it('keeps a client that refreshes past the old expiry; handlers, guards and hooks see the new principal', async () => {
      const oldExpiry = Date.now() + LIFETIME_MS;
      const oldToken = await expiringToken('alice', oldExpiry, { name: 'Alice', role: 'user' });
      const client = await raw(oldToken);
      expect((await client.request('admin-only')).data.code).toBe('DWS_ERR_FORBIDDEN');
      await client.next((f) => f.event === 'refresh', LIFETIME_MS + LATE_MS);

      const newExpiry = Date.now() + 60_000;
      const newToken = await expiringToken('alice', newExpiry, { name: 'Ada', role: 'admin' });
      const ack = await client.request('refresh', { token: newToken });
      expect(ack.event).toBe('ack');
      expect(ack.data.expiresInMs).toBeGreaterThan(60_000 - LATE_MS);
      expect(ack.data.expiresInMs).toBeLessThanOrEqual(60_000);
      // authenticate ran again with the original upgrade request and the new token.
      expect(seen).toEqual([
        { url: '/ws', authorization: `Bearer ${oldToken}`, protocol: undefined, token: oldToken },
        { url: '/ws', authorization: `Bearer ${oldToken}`, protocol: undefined, token: newToken },
      ]);

      await passed(oldExpiry + LATE_MS);
      expect(client.closed).toBeNull();
      expect((await client.request('whoami')).data).toEqual({
        userId: 'alice',
        name: 'Ada',
        role: 'admin',
        expiresAt: newExpiry,
      });
      expect((await client.request('admin-only')).data).toBe('welcome, admin');
      await client.request('subscribe', { topic: 'announcements/news' });
      const published = await client.request('publish', {
        topic: 'announcements/news',
        payload: { text: 'hi' },
      });
      expect(published.event).toBe('ack');
      const message = await client.next((f) => f.event === 'message');
      expect(message.data.payload).toEqual({ text: 'hi', by: 'Ada' });
      expect(clock.size).toBe(1);
    });

    it('closes a client that does not refresh with 4004 at the expiry', async () => {
      const expiresAt = Date.now() + LIFETIME_MS;
      const client = await raw(await expiringToken('bob', expiresAt));
      expect(clock.size).toBe(1);
      // The server's countdown runs in this process: measured against a timer due with it.
      const due = timerFiredAt(expiresAt - Date.now());
      const closed = await client.waitClosed(LIFETIME_MS + 2 * LATE_MS);
      const closedAt = Date.now();

      expect(closed).toEqual({ code: 4004, reason: 'credentials expired' });
      expect(closedAt).toBeGreaterThanOrEqual(expiresAt);
      expect(closedAt).toBeLessThan((await due) + LATE_MS);
      expect(client.frames.filter((f) => f.event === 'refresh')).toHaveLength(1);
      expect(clock.size).toBe(0);
    });

    it("refuses a refresh with another user's token, or a bad one, and keeps the old principal", async () => {
      const expiresAt = Date.now() + 10_000;
      const client = await raw(await expiringToken('alice', expiresAt, { name: 'Alice' }));
      const refused = async (data: unknown) => (await client.request('refresh', data)).data;

      expect(await refused({ token: await expiringToken('bob', expiresAt + 5000) })).toEqual({
        code: 'DWS_ERR_FORBIDDEN',
        message: 'The new token belongs to another user.',
      });
      expect(await refused({ token: 'not.a.jwt' })).toEqual({
        code: 'DWS_ERR_UNAUTHORIZED',
        message: 'The new token was refused.',
      });
      expect(await refused({ token: await expiringToken('alice', Date.now() - 1) })).toEqual({
        code: 'DWS_ERR_UNAUTHORIZED',
        message: 'The new token has expired already.',
      });
      expect(await refused({})).toEqual({
        code: 'DWS_ERR_BAD_REQUEST',
        message: 'refresh needs data {"token": string}.',
      });
      expect((await client.request('whoami')).data).toEqual({
        userId: 'alice',
        name: 'Alice',
        role: 'user',
        expiresAt,
      });
      const connection = app.app.get(ConnectionRegistry).get(client.welcome.data.connectionId)!;
      expect(clock.of(connection)?.expiresAt).toBe(expiresAt);
    });

    it('answers a refresh on a connection that never expires without calling authenticate', async () => {
      const client = await raw(await expiringToken('carol', undefined));
      expect(clock.size).toBe(0);
      const answer = await client.request('refresh', {
        token: await expiringToken('carol', Date.now() + 60_000),
      });
      expect(answer.data).toEqual({
        code: 'DWS_ERR_NOT_REFRESHABLE',
        message:
          'This connection does not expire (anonymous, or authenticate returned no expiresAt): there is nothing to refresh.',
      });
      expect(seen).toHaveLength(1);
    });

    it('refuses a handshake whose credentials expired already with HTTP 401', async () => {
      const token = await expiringToken('dave', Date.now() - 1);
      const refused = await refusedUpgrade(app.url(), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect([refused.status, refused.body]).toEqual([401, 'Unauthorized']);
      expect(clock.size).toBe(0);
    });

    it('holds one countdown per expiring connection and none once they closed', async () => {
      const clients = await Promise.all(
        Array.from({ length: 20 }, async (_, i) =>
          raw(await expiringToken(`user${i}`, Date.now() + 60_000)),
        ),
      );
      await raw(await expiringToken('no-expiry', undefined));
      expect(clock.size).toBe(20);
      clients.slice(0, 10).forEach((client) => client.close());
      await waitFor(() => clock.size === 10, { message: '10 countdowns' });
      // afterEach waits for 0 once the others are gone.
    });
  });

  describe('the client SDK', () => {
    it('refreshes by itself across 3 expiries without a disconnect', async () => {
      const expiries: (number | undefined)[] = [];
      const getToken = () => {
        // The fourth token does not expire: no fifth refresh is asked, however late this runs.
        expiries.push(expiries.length < 3 ? Date.now() + LIFETIME_MS : undefined);
        return expiringToken('erin', expiries.at(-1));
      };
      const { client, events } = await sdk({ getToken });
      await waitFor(() => expiries.length === 4, { timeout: 4 * LIFETIME_MS });
      await passed(expiries[2]! + LATE_MS);

      expect(expiries).toHaveLength(4);
      expect(events.disconnected).toEqual([]);
      expect(events.error).toEqual([]);
      expect(events.connected).toEqual([
        { connectionId: client.connectionId, resumed: false, recovered: false },
      ]);
      expect(await client.call('whoami')).toEqual({
        userId: 'erin',
        name: 'erin',
        role: 'user',
      });
    });

    it('reconnects with a new token after 4004 and resumes its session', async () => {
      let calls = 0;
      const getToken = () => {
        calls++;
        // The refresh hands over somebody else's token: refused, so the connection expires.
        if (calls === 2) return expiringToken('mallory', Date.now() + 60_000);
        return expiringToken('frank', Date.now() + (calls === 1 ? LIFETIME_MS : 60_000));
      };
      const { client, events } = await sdk({ getToken });
      const received: unknown[] = [];
      await client.subscribe('chat/rooms/1', (payload) => received.push(payload)).ready;
      const firstId = client.connectionId;
      await waitFor(() => events.connected.length === 2, { timeout: LIFETIME_MS + 2000 });

      expect(calls).toBe(3);
      expect(events.error).toEqual([
        expect.objectContaining({
          code: 'DWS_ERR_FORBIDDEN',
          message: 'The new token belongs to another user.',
        }),
      ]);
      expect(events.disconnected).toEqual([
        { code: 4004, reason: 'credentials expired', willReconnect: true },
      ]);
      expect(events.connected[1]).toEqual({
        connectionId: firstId,
        resumed: true,
        recovered: true,
      });
      await client.publish('chat/rooms/1', 'after the resume');
      await waitFor(() => received.length === 1);
      expect(received).toEqual(['after the resume']);
    });

    it('sends the token in a header with ws, in the subprotocol like a browser, in the URL only when asked', async () => {
      const tokens = await Promise.all(
        ['grace', 'heidi', 'ivan'].map((user) => expiringToken(user, Date.now() + 60_000)),
      );
      await sdk({ getToken: () => tokens[0] });
      await sdk({ getToken: () => tokens[1], WebSocket: BrowserWebSocket });
      await sdk({ getToken: () => tokens[2], tokenTransport: 'query' });

      expect(seen).toEqual([
        { url: '/ws', authorization: `Bearer ${tokens[0]}`, protocol: undefined, token: tokens[0] },
        {
          url: '/ws',
          authorization: undefined,
          protocol: `dws.bearer,${tokens[1]}`,
          token: tokens[1],
        },
        {
          url: `/ws?access_token=${tokens[2]}`,
          authorization: undefined,
          protocol: undefined,
          token: tokens[2],
        },
      ]);
    });
  });
});

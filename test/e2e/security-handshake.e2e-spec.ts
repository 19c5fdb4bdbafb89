import { afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import type { AuthenticatedPrincipal, DistributedWsOptions } from '../../lib/index.js';
import { RawWsSocket } from '../support/raw-ws-socket.js';
import { refusedUpgrade } from '../support/refused-upgrade.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';
import { WsTestClient } from '../support/ws-test-client.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

const GOOD = { headers: { authorization: 'Bearer good' } };

/** Issue 17, item 7 and `authTimeoutMs`: what refused and slow handshakes make the server hold. */
describe('security: refused and slow handshakes', () => {
  let app: TestApp | null = null;
  const clients: WsTestClient[] = [];
  const start = async (options: DistributedWsOptions) => {
    app = await startTestApp(options, { providers: [FixtureGateway] });
    return app;
  };
  const connect = async () => {
    const client = await WsTestClient.connect(app!.url(), GOOD);
    clients.push(client);
    return client;
  };
  /** TCP connections the app's HTTP server holds, upgraded ones included. */
  const sockets = () =>
    new Promise<number>((resolve, reject) =>
      app!.app.getHttpServer().getConnections((error: Error | null, count: number) => {
        if (error) reject(error);
        else resolve(count);
      }),
    );
  let users = 0;
  const authenticate = (_request: unknown, token: string | null): AuthenticatedPrincipal | null =>
    token === 'good' ? { userId: `user-${++users}` } : null;

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await app?.close();
    app = null;
  });

  it("with authFailure 'close', 200 refused upgrades hold no slot: a client connects at once, and every refused socket is gone within the 1 s grace", async () => {
    const registry = new Registry();
    await start({ authenticate, authFailure: 'close', maxConnections: 20, metrics: { registry } });
    const gauge = async () =>
      (await (registry.getSingleMetric('dws_connections') as any).get()).values[0].value;
    const bystander = await connect();
    expect(await sockets()).toBe(1);

    // Attackers that never answer the close frame (what made `ws` hold each socket for 30 s).
    const burstStart = Date.now();
    const refused = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const socket = await RawWsSocket.open(app!.port);
        return { socket, openedAt: Date.now() };
      }),
    );
    const burstMs = Date.now() - burstStart;
    const legit = await connect();
    expect(legit.welcome.data.connectionId).toEqual(expect.any(String));
    const registryOf = app!.app.get(ConnectionRegistry);
    expect(registryOf.size).toBe(2);
    expect(await gauge()).toBe(2);

    const ends = await Promise.all(
      refused.map(async ({ socket, openedAt }) => {
        const dropped = await socket.dropped(5000);
        return { dropped, heldMs: Date.now() - openedAt, closeFrame: socket.closeFrame };
      }),
    );
    expect(ends.filter((e) => e.dropped)).toHaveLength(200);
    // At most maxConnections (20) refused sockets wait for their close handshake at a time; the
    // others are terminated without a close frame. How many waited depends on how long the
    // burst took (more than the first 20 when it outlasts the grace): the next test pins the cap.
    const graced = ends.filter((e) => e.closeFrame === 1008);
    const cut = ends.filter((e) => e.closeFrame === null);
    expect(graced.length + cut.length).toBe(200);
    expect(graced.length).toBeGreaterThanOrEqual(20);
    // Held for about the 1 s grace (measured from the client's side, so a loaded event loop
    // shifts both ends), never for ws's 30 s close timeout.
    const graceMs = graced.map((e) => e.heldMs);
    expect(Math.min(...graceMs)).toBeGreaterThanOrEqual(700);
    expect(Math.max(...ends.map((e) => e.heldMs))).toBeLessThan(2500);
    console.log(
      `200 refused upgrades in ${burstMs} ms; ${graced.length} closed with 1008 and held ${Math.min(...graceMs)}-${Math.max(...graceMs)} ms, ${cut.length} cut at once (at most ${Math.max(0, ...cut.map((e) => e.heldMs))} ms)`,
    );

    await waitFor(async () => (await sockets()) === 2, {
      timeout: 2000,
      message: 'the server to hold only the two clients',
    });
    expect(registryOf.size).toBe(2);
    expect(await gauge()).toBe(2);
    expect(bystander.closed).toBeNull();
    expect((await bystander.request('subscribe', { topic: 'news/world' })).event).toBe('ack');
  });

  it("with authFailure 'close', refused sockets waiting for their close handshake never outnumber maxConnections", async () => {
    await start({ authenticate, authFailure: 'close', maxConnections: 3 });
    const waiting = await Promise.all([0, 1, 2].map(() => RawWsSocket.open(app!.port)));
    const started = Date.now();
    const extra = await RawWsSocket.open(app!.port);
    expect(await extra.dropped(900)).toBe(true);
    expect(extra.closeFrame).toBeNull();
    const cutAfterMs = Date.now() - started;
    expect(cutAfterMs).toBeLessThan(900);
    // The three are still in their grace, each with its 1008.
    expect(waiting.map((s) => s.closeFrame)).toEqual([1008, 1008, 1008]);
    expect(await sockets()).toBe(3);
    expect(await Promise.all(waiting.map((s) => s.dropped(2000)))).toEqual([true, true, true]);
    // Their grace over, the next refused socket gets its close frame again.
    const next = await RawWsSocket.open(app!.port);
    expect(await next.dropped(2000)).toBe(true);
    expect(next.closeFrame).toBe(1008);
    await waitFor(async () => (await sockets()) === 0, { timeout: 500 });
  });

  it("with authFailure 'close', a client that answers the close handshake is gone at once, not after the grace", async () => {
    await start({ authenticate, authFailure: 'close' });
    const started = Date.now();
    const ws = new WebSocket(app!.url(), { headers: { authorization: 'Bearer forged' } });
    const closed = await new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, String(reason)])),
    );
    expect(closed).toEqual([1008, 'Unauthorized']);
    // Well before the 1 s grace a client that stays silent is given.
    expect(Date.now() - started).toBeLessThan(900);
    await waitFor(async () => (await sockets()) === 0, { timeout: 500 });
  });

  it('answers HTTP 503 when authenticate does not answer within authTimeoutMs, frees the slot, and opens nothing for a late answer', async () => {
    const late: string[] = [];
    await start({
      authTimeoutMs: 300,
      maxConnections: 1,
      authenticate: async (request, token) => {
        if (token === 'never') return new Promise<null>(() => undefined);
        if (token === 'late') {
          // An identity provider answering after the handshake was given up.
          await new Promise((resolve) => setTimeout(resolve, 600));
          late.push(token);
          return { userId: 'late' };
        }
        return authenticate(request, token);
      },
    });
    const started = Date.now();
    const slow = refusedUpgrade(app!.url(), { headers: { authorization: 'Bearer never' } });
    await waitFor(async () => (await sockets()) === 1);
    // Meanwhile the pending handshake holds the only slot.
    expect(await refusedUpgrade(app!.url(), GOOD)).toMatchObject({
      status: 503,
      body: 'Too many connections',
    });
    expect(await slow).toMatchObject({ status: 503, body: 'Authentication timed out' });
    const waitedMs = Date.now() - started;
    expect(waitedMs).toBeGreaterThanOrEqual(295);
    expect(waitedMs).toBeLessThan(1000);
    const registry = app!.app.get(ConnectionRegistry);
    const alice = await connect();
    expect(registry.size).toBe(1);
    alice.close();
    await waitFor(() => registry.size === 0);

    expect(
      await refusedUpgrade(app!.url(), { headers: { authorization: 'Bearer late' } }),
    ).toMatchObject({
      status: 503,
      body: 'Authentication timed out',
    });
    await waitFor(() => late.length === 1, { message: 'the late answer' });
    expect(registry.size).toBe(0);
    expect([...registry.values()].map((c) => c.userId)).toEqual([]);
    expect(await sockets()).toBe(0);
    await connect();
    expect(registry.size).toBe(1);
  });

  it("with authFailure 'close', a handshake past authTimeoutMs is closed with 1013 and its slot is free", async () => {
    await start({
      authTimeoutMs: 200,
      maxConnections: 1,
      authFailure: 'close',
      authenticate: (request, token) =>
        token === 'never' ? new Promise<null>(() => undefined) : authenticate(request, token),
    });
    const started = Date.now();
    const ws = new WebSocket(app!.url(), { headers: { authorization: 'Bearer never' } });
    const frames: string[] = [];
    ws.on('message', (data) => frames.push(String(data)));
    const closed = await new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, String(reason)])),
    );
    expect(closed).toEqual([1013, 'Authentication timed out']);
    expect(frames).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    await connect();
    expect(app!.app.get(ConnectionRegistry).size).toBe(1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import {
  type AddressInfo,
  connect,
  createServer as createTcpServer,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { DistributedWsModule } from '../../lib/index.js';
import { WsProxyModule, type WsProxyOptions } from '../../lib/proxy/index.js';
import { refusedUpgrade } from '../support/refused-upgrade.js';
import { waitFor } from '../support/wait-for.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

const MiB = 1024 * 1024;

/** What the upstream's `authenticate` saw of one handshake. */
interface SeenHandshake {
  token: string | null;
  url: string | undefined;
  headers: IncomingHttpHeaders;
}

/** A real DistributedWsModule app: the proxy's upstream, counting its TCP connections. */
async function startUpstream(seen: SeenHandshake[]): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      DistributedWsModule.forRoot({
        authenticate: (request, token) => {
          seen.push({ token, url: request.url, headers: request.headers });
          return { userId: token ?? 'anonymous' };
        },
      }),
    ],
    providers: [FixtureGateway],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  return app;
}

/** A `ws` upstream that takes `acceptAfterMs` to accept, counting the bytes it receives. */
function startSlowUpstream(acceptAfterMs: number) {
  const server = createServer();
  const state = { server, received: [] as Buffer[] };
  const wss = new WebSocketServer({
    server,
    verifyClient: (_info, done) => setTimeout(() => done(true), acceptAfterMs),
  });
  wss.on('connection', (ws) => ws.on('message', (data: Buffer) => state.received.push(data)));
  return new Promise<typeof state>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(state)),
  );
}

async function startGateway(proxies: WsProxyOptions[]) {
  const moduleRef = await Test.createTestingModule({
    imports: proxies.map((options) => WsProxyModule.register(options)),
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}

/** TCP connections a server holds right now: what the proxy made the upstream hold. */
function connectionsOf(server: TcpServer): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

const validKey = () => randomBytes(16).toString('base64');

/** An upgrade request as raw text, so that a test can break it in ways no client library would. */
function upgradeRequest(
  path: string,
  overrides: Record<string, string | null> = {},
  method = 'GET',
) {
  const headers: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': validKey(),
    'Sec-WebSocket-Version': '13',
    ...overrides,
  };
  const lines = Object.entries(headers).filter(([, v]) => v !== null);
  return `${method} ${path} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}

/** Sends raw bytes and resolves with the status of the answer (0 when the socket closed first). */
function statusOf(port: number, request: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n')) return;
      resolve(Number(head.split(' ')[1]));
      socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(0));
    socket.write(request);
  });
}

describe('WsProxyModule hardening', () => {
  const seen: SeenHandshake[] = [];
  let upstream: INestApplication;
  let upstreamServer: Server;
  let upstreamUrl: string;

  beforeAll(async () => {
    upstream = await startUpstream(seen);
    upstreamServer = upstream.getHttpServer();
    upstreamUrl = `ws://127.0.0.1:${(upstreamServer.address() as AddressInfo).port}/ws`;
  });
  afterAll(() => upstream?.close());

  it('answers 50 malformed upgrades without dialing the upstream, and holds nothing after shutdown', async () => {
    const { app, port } = await startGateway([{ path: '/ws', upstream: upstreamUrl }]);
    const handshakesBefore = seen.length;
    const attacks = [
      upgradeRequest('/ws', { 'Sec-WebSocket-Key': 'not-a-key' }),
      upgradeRequest('/ws', { 'Sec-WebSocket-Key': null }),
      upgradeRequest('/ws', { 'Sec-WebSocket-Version': '12' }),
      upgradeRequest('/ws', { Upgrade: 'h2c' }),
      upgradeRequest('/ws', { 'Sec-WebSocket-Protocol': 'chat, chat' }),
    ];
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => statusOf(port, attacks[i % attacks.length])),
    );
    expect(statuses).toEqual(Array.from({ length: 50 }, () => 400));
    expect(seen.length - handshakesBefore).toBe(0);
    expect(await connectionsOf(upstreamServer)).toBe(0);
    await app.close();
    expect(await connectionsOf(upstreamServer)).toBe(0);
  });

  it('closes the upstream of every client that leaves or half-closes before its upgrade is answered', async () => {
    const slow = await startSlowUpstream(300);
    const slowUrl = `ws://127.0.0.1:${(slow.server.address() as AddressInfo).port}/`;
    const { app, port } = await startGateway([{ path: '/slow', upstream: slowUrl }]);
    // 25 clients hang up at once, 25 send their FIN (the proxy's socket is then not writable
    // when the upstream answers, and `ws` drops it without calling back).
    const sockets: Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(upgradeRequest('/slow'));
      if (i % 2 === 0) socket.end();
      sockets.push(socket);
    }
    await waitFor(async () => (await connectionsOf(slow.server)) === 50, {
      message: 'the 50 upstream dials',
    });
    sockets.forEach((s, i) => i % 2 === 1 && s.destroy());
    await waitFor(async () => (await connectionsOf(slow.server)) === 0, {
      message: () => 'the upstream connections to close',
    });
    expect(await connectionsOf(slow.server)).toBe(0);
    await app.close();
    slow.server.close();
  });

  it('closes every proxied and half-dialed upstream at shutdown', async () => {
    // An upstream that accepts TCP, reads, and never answers: the dials stay in progress.
    const silent = createTcpServer((socket) => socket.resume()).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const silentUrl = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    const { app, port } = await startGateway([
      { path: '/ws', upstream: upstreamUrl },
      { path: '/silent', upstream: silentUrl, connectTimeoutMs: 60_000 },
    ]);
    const open = await Promise.all(
      Array.from({ length: 5 }, () => opened(new WebSocket(`ws://127.0.0.1:${port}/ws`))),
    );
    const dialing = Array.from({ length: 5 }, () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/silent`);
      ws.on('error', () => undefined);
      return ws;
    });
    await waitFor(async () => (await connectionsOf(silent)) === 5);
    expect(await connectionsOf(upstreamServer)).toBe(5);
    const closes = open.map((ws) => new Promise((r) => ws.once('close', (code) => r(code))));
    const refusals = dialing.map(
      (ws) => new Promise((r) => ws.once('unexpected-response', (_q, res) => r(res.statusCode))),
    );
    await app.close();
    expect(await Promise.all(closes)).toEqual([1012, 1012, 1012, 1012, 1012]);
    expect(await Promise.all(refusals)).toEqual([503, 503, 503, 503, 503]);
    await waitFor(async () => (await connectionsOf(upstreamServer)) === 0);
    await waitFor(async () => (await connectionsOf(silent)) === 0);
    dialing.forEach((ws) => ws.terminate());
    silent.close();
  });

  it('refuses upgrades past maxConnections with 503, without dialing the upstream', async () => {
    const { app, port } = await startGateway([
      { path: '/ws', upstream: upstreamUrl, maxConnections: 2 },
    ]);
    const url = `ws://127.0.0.1:${port}/ws`;
    const [first, second] = await Promise.all([
      opened(new WebSocket(url)),
      opened(new WebSocket(url)),
    ]);
    const handshakesBefore = seen.length;
    const refused = await refusedUpgrade(url);
    expect([refused.status, refused.body]).toEqual([503, 'Too many connections']);
    expect(seen.length).toBe(handshakesBefore);
    expect(await connectionsOf(upstreamServer)).toBe(2);
    first.close();
    await waitFor(async () => (await connectionsOf(upstreamServer)) === 1);
    const third = await opened(new WebSocket(url));
    expect(await connectionsOf(upstreamServer)).toBe(2);
    [second, third].forEach((ws) => ws.terminate());
    await app.close();
  });

  describe('forwardAuth: false', () => {
    let gateway: Awaited<ReturnType<typeof startGateway>>;
    beforeAll(async () => {
      gateway = await startGateway([{ path: '/anon', upstream: upstreamUrl, forwardAuth: false }]);
    });
    afterAll(() => gateway?.app.close());

    it('forwards none of the tokens of a request carrying every kind of credential', async () => {
      const ws = new WebSocket(
        `ws://127.0.0.1:${gateway.port}/anon?access_token=q-1&room=7&access_token=q-2`,
        ['chat.v1', 'dws.bearer', 'p-1', 'chat.v2'],
        { headers: { authorization: 'Bearer h-1', cookie: 'sid=c-1' } },
      );
      await opened(ws);
      const handshake = seen.at(-1)!;
      expect(handshake.token).toBeNull();
      expect(handshake.url).toBe('/ws?room=7');
      expect(handshake.headers['sec-websocket-protocol']).toBe('chat.v1,chat.v2');
      expect(handshake.headers.authorization).toBeUndefined();
      expect(handshake.headers.cookie).toBeUndefined();
      expect(ws.protocol).toBe('chat.v1');
      ws.terminate();
    });

    it('refuses two dws.bearer pairs with 400 before the upstream sees either token', async () => {
      const handshakesBefore = seen.length;
      const status = await statusOf(
        gateway.port,
        upgradeRequest('/anon', {
          'Sec-WebSocket-Protocol': 'dws.bearer, p-1, chat.v1, dws.bearer, p-2',
        }),
      );
      // Two pairs repeat the marker: `ws` refuses a duplicated subprotocol (so would a browser).
      expect(status).toBe(400);
      expect(seen.slice(handshakesBefore)).toEqual([]);
      // The previous test's connection is closing; a leaked one would stay.
      await waitFor(async () => (await connectionsOf(upstreamServer)) === 0);
    });
  });

  it('does not read what a client pipelines behind its upgrade until the upstream has accepted', async () => {
    const slow = await startSlowUpstream(1500);
    const slowUrl = `ws://127.0.0.1:${(slow.server.address() as AddressInfo).port}/`;
    const { app, port } = await startGateway([{ path: '/slow', upstream: slowUrl }]);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    // 64 MiB of frames right behind the request, before any answer: 1024 × 64 KiB.
    const frames = Array.from({ length: 1024 }, (_, i) => binaryFrame(64 * 1024, i % 256));
    socket.write(upgradeRequest('/slow'));
    socket.write(Buffer.concat(frames));
    await new Promise((r) => setTimeout(r, 1000)); // the upstream accepts at 1500 ms
    expect(answer).toBe('');
    // The kernel's buffers hold a few MiB at most; the rest is still queued in the client.
    expect(socket.writableLength).toBeGreaterThan(32 * MiB);
    await waitFor(() => slow.received.length === 1024, { timeout: 20_000 });
    expect(answer.startsWith('HTTP/1.1 101')).toBe(true);
    expect(slow.received.map((m) => [m.length, m[0]])).toEqual(
      Array.from({ length: 1024 }, (_, i) => [64 * 1024, i % 256]),
    );
    socket.destroy();
    await app.close();
    slow.server.close();
  }, 30_000);
});

/** A masked client binary frame of `length` bytes of `fill` (a zero mask key leaves them as is). */
function binaryFrame(length: number, fill: number): Buffer {
  const head = Buffer.alloc(14);
  head[0] = 0x82;
  head[1] = 0x80 | 127;
  head.writeBigUInt64BE(BigInt(length), 2); // then 4 bytes of mask key: zeros
  return Buffer.concat([head, Buffer.alloc(length, fill)]);
}

function opened(ws: WebSocket): Promise<WebSocket> {
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('close', (code) => reject(new Error(`closed with ${code} before opening`)));
  });
}

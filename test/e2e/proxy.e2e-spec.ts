import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { DistributedWsModule } from '../../lib/index.js';
import { WsProxyModule } from '../../lib/proxy/index.js';
import { type TsProcess, spawnTs } from '../support/app-process.js';
import { freePort } from '../support/free-port.js';
import { refusedUpgrade } from '../support/refused-upgrade.js';
import { waitFor } from '../support/wait-for.js';
import { WsTestClient } from '../support/ws-test-client.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';
import { tokenFor } from './fixtures/security.gateway.js';

const JWT_SECRET = 'sample-jwt-secret-for-the-proxy-test';
const MiB = 1024 * 1024;

/** The chat sample in its own process, with its JWT recipe on: the proxy's real upstream. */
function startSample(port: number): Promise<TsProcess> {
  return spawnTs(
    'sample/main.ts',
    { PORT: String(port), JWT_SECRET, BROKER_URL: 'memory://' },
    /Chat sample on/,
  );
}

/** An upstream that echoes each message with its type and obeys a few text commands. */
function startEcho(): Promise<{
  server: Server;
  sockets: WebSocket[];
  requests: IncomingMessage[];
  closes: [number, string][];
}> {
  const server = createServer();
  const wss = new WebSocketServer({ server, path: '/echo' });
  const state = {
    server,
    sockets: [] as WebSocket[],
    requests: [] as IncomingMessage[],
    closes: [] as [number, string][],
  };
  wss.on('connection', (ws, request) => {
    state.sockets.push(ws);
    state.requests.push(request);
    ws.on('close', (code, reason) => state.closes.push([code, String(reason)]));
    ws.on('message', (data: Buffer, isBinary) => {
      const [command, arg] = isBinary ? [] : String(data).split(':');
      if (command === 'close') return arg ? ws.close(Number(arg), 'bye') : ws.close();
      if (command === 'flood') {
        for (let i = 0; i < Number(arg); i++)
          ws.send(Buffer.alloc(64 * 1024, i % 256), { binary: true });
        return;
      }
      ws.send(data, { binary: isBinary });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(state)));
}

/** A raw client recording every message with its type, and its close. */
async function rawClient(
  url: string,
  protocols: string[] = [],
  headers: Record<string, string> = {},
) {
  const ws = new WebSocket(url, protocols, { headers });
  const received: { text?: string; binary?: Buffer }[] = [];
  let closed: [number, string] | null = null;
  ws.on('message', (data: Buffer, isBinary) =>
    received.push(isBinary ? { binary: data } : { text: String(data) }),
  );
  ws.on('close', (code, reason) => (closed = [code, String(reason)]));
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return {
    ws,
    received,
    closed: () => closed,
    waitClosed: () => waitFor(() => closed, { timeout: 8000 }),
  };
}

describe('WsProxyModule', () => {
  let sample: TsProcess;
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let blackHole: TcpServer;
  const held: Socket[] = [];
  let gateway: INestApplication;
  let url: (path: string) => string;
  const clients: { close(): void }[] = [];

  beforeAll(async () => {
    const samplePort = await freePort();
    [sample, echo] = await Promise.all([startSample(samplePort), startEcho()]);
    blackHole = createTcpServer((socket) => held.push(socket)).listen(0, '127.0.0.1');
    await new Promise((resolve) => blackHole.once('listening', resolve));
    const echoUrl = `ws://127.0.0.1:${(echo.server.address() as AddressInfo).port}/echo`;
    const moduleRef = await Test.createTestingModule({
      imports: [
        // The gateway app's own WebSocket endpoint (/ws) beside the proxied paths.
        DistributedWsModule.forRoot({}),
        WsProxyModule.register({ path: '/chat', upstream: `ws://127.0.0.1:${samplePort}/ws` }),
        WsProxyModule.register({ path: '/echo', upstream: echoUrl }),
        WsProxyModule.register({ path: '/echo-anon', upstream: () => echoUrl, forwardAuth: false }),
        WsProxyModule.register({
          path: '/slow',
          upstream: `ws://127.0.0.1:${(blackHole.address() as AddressInfo).port}/`,
          connectTimeoutMs: 300,
        }),
        WsProxyModule.register({
          path: '/down',
          // Port 1: nothing listens, and no other test can start listening there.
          upstream: 'ws://127.0.0.1:1/ws',
        }),
      ],
      providers: [FixtureGateway],
    }).compile();
    gateway = moduleRef.createNestApplication({ logger: ['error'] });
    await gateway.listen(0, '127.0.0.1');
    const port = (gateway.getHttpServer().address() as AddressInfo).port;
    url = (path) => `ws://127.0.0.1:${port}${path}`;
  }, 30_000);

  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(async () => {
    await gateway?.close();
    held.forEach((s) => s.destroy());
    blackHole?.close();
    echo?.server.close();
    echo?.sockets.forEach((s) => s.terminate());
    await sample?.kill('SIGKILL');
  });

  describe('to the sample instance', () => {
    it('subscribes, publishes and receives through the proxy as the authenticated users', async () => {
      const alice = await WsTestClient.connect(url('/chat'), {
        headers: { authorization: `Bearer ${await tokenForSample('alice', 'Alice')}` },
      });
      const bob = await WsTestClient.connect(
        `${url('/chat')}?access_token=${await tokenForSample('bob', 'Bob')}`,
      );
      clients.push(alice, bob);
      expect((await alice.request('whoami', {})).data).toEqual({
        userId: 'alice',
        name: 'Alice',
        staff: false,
      });
      expect((await bob.request('subscribe', { topic: 'chat/rooms/lobby' })).event).toBe('ack');
      const ack = await alice.request('publish', {
        topic: 'chat/rooms/lobby',
        payload: { text: 'hi bob', author: 'Mallory' },
      });
      const message = await bob.next((f) => f.event === 'message');
      expect(message.data).toMatchObject({
        topic: 'chat/rooms/lobby',
        offset: ack.data.offset,
        payload: { text: 'hi bob', author: 'Alice' },
      });
      // The gateway app's own endpoint still works beside the proxied paths.
      const local = await WsTestClient.connect(url('/ws'));
      clients.push(local);
      expect((await local.request('echo', { say: 'local' })).data).toEqual({ said: 'local' });
    });

    it("passes the upstream's HTTP 401 on to a client without a valid token", async () => {
      const refused = await refusedUpgrade(url('/chat'), {
        headers: { authorization: 'Bearer forged' },
      });
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer');
    });

    it('closes the clients with 4502 when the upstream is killed, and new ones too', async () => {
      const client = await WsTestClient.connect(url('/chat'), {
        headers: { authorization: `Bearer ${await tokenForSample('carol', 'Carol')}` },
      });
      clients.push(client);
      void sample.kill('SIGKILL');
      expect(await client.waitClosed(8000)).toEqual({ code: 4502, reason: 'upstream unavailable' });
      const late = await rawClient(url('/chat'));
      expect(await late.waitClosed()).toEqual([4502, 'upstream unavailable']);
    });
  });

  describe('to any upstream', () => {
    it('forwards text and binary both ways, keeping their type', async () => {
      const client = await rawClient(url('/echo'));
      clients.push(client.ws);
      client.ws.send('héllo');
      client.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
      await waitFor(() => client.received.length === 2);
      expect(client.received).toEqual([{ text: 'héllo' }, { binary: Buffer.from([0, 1, 2, 255]) }]);
    });

    it("forwards the client's credentials, origin and subprotocols, and the upstream's choice back", async () => {
      const client = await rawClient(
        `${url('/echo')}?room=7&access_token=q-token`,
        ['dws.bearer', 'p-token'],
        { authorization: 'Bearer h-token', origin: 'https://app.example.com' },
      );
      clients.push(client.ws);
      const request = echo.requests.at(-1)!;
      expect(request.headers.authorization).toBe('Bearer h-token');
      expect(request.headers.origin).toBe('https://app.example.com');
      expect(request.headers['sec-websocket-protocol']).toBe('dws.bearer,p-token');
      expect(request.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(request.url).toBe('/echo?room=7&access_token=q-token');
      expect(client.ws.protocol).toBe('dws.bearer');
    });

    it('strips every credential with forwardAuth: false', async () => {
      const client = await rawClient(
        `${url('/echo-anon')}?room=7&access_token=q-token`,
        ['dws.bearer', 'p-token'],
        { authorization: 'Bearer h-token' },
      );
      clients.push(client.ws);
      const request = echo.requests.at(-1)!;
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers['sec-websocket-protocol']).toBeUndefined();
      expect(request.url).toBe('/echo?room=7');
      expect(client.ws.protocol).toBe('dws.bearer');
    });

    it.each([
      ['close:4100', [4100, 'bye']],
      ['close:1012', [1012, 'bye']],
      ['close', [1005, '']],
    ])("passes the upstream's close (%s) on to the client", async (command, expected) => {
      const client = await rawClient(url('/echo'));
      client.ws.send(command);
      expect(await client.waitClosed()).toEqual(expected);
    });

    it("passes the client's close code and reason on to the upstream", async () => {
      const client = await rawClient(url('/echo'));
      const before = echo.closes.length;
      client.ws.close(4200, 'done here');
      await waitFor(() => echo.closes.length > before);
      expect(echo.closes.at(-1)).toEqual([4200, 'done here']);
    });

    it('relays pings and pongs end to end', async () => {
      const client = await rawClient(url('/echo'));
      clients.push(client.ws);
      const pings: string[] = [];
      client.ws.on('ping', (data) => pings.push(String(data)));
      const upstreamSide = echo.sockets.at(-1)!;
      const pong = new Promise((resolve) =>
        upstreamSide.once('pong', (data) => resolve(String(data))),
      );
      upstreamSide.ping('heartbeat-1');
      expect(await pong).toBe('heartbeat-1');
      expect(pings).toEqual(['heartbeat-1']);
    });

    it('applies backpressure: a client that does not read stops the proxy reading the upstream', async () => {
      const client = await rawClient(url('/echo'));
      clients.push(client.ws);
      client.ws.pause();
      client.ws.send('flood:1000'); // 1000 × 64 KiB = 62.5 MiB
      const upstreamSide = echo.sockets.at(-1)!;
      // Without backpressure the proxy would drain the upstream into its own memory.
      await waitFor(() => upstreamSide.bufferedAmount > 16 * MiB);
      const stuck = upstreamSide.bufferedAmount;
      await new Promise((r) => setTimeout(r, 200)); // nothing moves while the client sleeps
      expect(upstreamSide.bufferedAmount).toBeGreaterThan(stuck - MiB);
      client.ws.resume();
      await waitFor(() => client.received.length === 1000, { timeout: 20_000 });
      expect(client.received.map((m) => m.binary![0])).toEqual(
        Array.from({ length: 1000 }, (_, i) => i % 256),
      );
      expect(upstreamSide.bufferedAmount).toBe(0);
    }, 30_000);

    it.each([
      ['refuses connections', '/down'],
      ['does not answer within connectTimeoutMs', '/slow'],
    ])('accepts and closes with 4502 when the upstream %s', async (_why, path) => {
      const client = await rawClient(url(path));
      expect(await client.waitClosed()).toEqual([4502, 'upstream unavailable']);
    });
  });
});

function tokenForSample(userId: string, name: string): Promise<string> {
  return tokenFor(userId, { name }, { secret: JWT_SECRET });
}

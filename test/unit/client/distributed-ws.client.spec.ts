import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  DistributedWsClient,
  type DistributedWsClientOptions,
  DwsClientError,
} from '../../../lib/client/index.js';
import { waitFor } from '../../support/wait-for.js';
import { FakeWebSocket } from './fake-websocket.js';
import { recordEvents } from './record-events.js';

const clients: DistributedWsClient[] = [];

function start(options: Partial<DistributedWsClientOptions> = {}) {
  const client = new DistributedWsClient({
    url: ['ws://a.test/ws', 'ws://b.test/ws'],
    WebSocket: FakeWebSocket,
    minDelayMs: 1,
    maxDelayMs: 1,
    ...options,
  });
  clients.push(client);
  return { client, events: recordEvents(client) };
}

/** Waits for the client to open its next socket (reconnects run after a 1 ms backoff). */
async function nextSocket(count: number): Promise<FakeWebSocket> {
  await waitFor(() => FakeWebSocket.instances.length === count, { message: `socket #${count}` });
  return FakeWebSocket.last;
}

/** Lets sockets #first to #last fail (1006, no welcome); returns the URL of each. */
async function failAttempts(first: number, last: number): Promise<string[]> {
  const urls: string[] = [];
  for (let n = first; n <= last; n++) {
    const attempt = await nextSocket(n);
    urls.push(attempt.url);
    attempt.drop(1006);
  }
  return urls;
}

async function rejection(promise: Promise<unknown>): Promise<DwsClientError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DwsClientError);
  return error as DwsClientError;
}

beforeEach(() => {
  FakeWebSocket.instances = [];
});
afterEach(() => clients.splice(0).forEach((c) => c.close()));

describe('DistributedWsClient (scripted server)', () => {
  it('queues subscriptions and requests made before the welcome, then sends them in order', async () => {
    const { client, events } = start();
    const received: unknown[] = [];
    const sub = client.subscribe('chat/rooms/+', (payload, meta) => received.push([payload, meta]));
    const published = client.publish('chat/rooms/1', { text: 'early' });
    const ws = await nextSocket(1);
    expect(ws.url).toBe('ws://a.test/ws');
    expect(ws.sent).toEqual([]);
    ws.welcome();
    expect(ws.sent.map((f) => [f.event, f.data])).toEqual([
      ['subscribe', { topic: 'chat/rooms/+' }],
      ['publish', { topic: 'chat/rooms/1', payload: { text: 'early' } }],
    ]);
    expect(events.connected).toEqual([{ connectionId: 'c1', resumed: false, recovered: false }]);
    expect(client.state).toBe('connected');
    ws.ack('subscribe', { topic: 'chat/rooms/+', subscribed: true });
    await sub.ready;
    ws.ack('publish', { topic: 'chat/rooms/1', offset: '1:e:7-0' });
    await expect(published).resolves.toEqual({ topic: 'chat/rooms/1', offset: '1:e:7-0' });
    ws.message('chat/rooms/1', '1:e:7-0', { text: 'early' });
    expect(received).toEqual([[{ text: 'early' }, { topic: 'chat/rooms/1', offset: '1:e:7-0' }]]);
  });

  it('dispatches to every matching handler, once per offset, and direct messages to onDirect', async () => {
    const { client } = start();
    const seen: string[] = [];
    client.subscribe('chat/#', (_p, { offset }) => seen.push(`hash ${offset}`));
    const offPlusA = client.subscribe('chat/rooms/+', (_p, { offset }) =>
      seen.push(`plusA ${offset}`),
    );
    client.subscribe('chat/rooms/+', (_p, { offset }) => seen.push(`plusB ${offset}`));
    client.subscribe('news/+', () => seen.push('news'));
    client.onDirect((payload, { topic }) =>
      seen.push(`direct ${topic} ${JSON.stringify(payload)}`),
    );
    const ws = await nextSocket(1);
    ws.welcome();
    expect(ws.sent.filter((f) => f.event === 'subscribe')).toHaveLength(3);

    ws.message('chat/rooms/1', '0:e:1-0', 1);
    ws.message('chat/rooms/1', '0:e:1-0', 1); // duplicate
    ws.message('chat/rooms/2', '0:e:0-5', 2); // older than the shard's position
    ws.message('$dws/conn/c1', '1:e:1-0', { hi: 1 });
    offPlusA();
    expect(ws.lastSent('unsubscribe')).toBeUndefined(); // plusB still needs the pattern
    ws.message('chat/rooms/3', '0:e:2-0', 3);
    expect(seen).toEqual([
      'hash 0:e:1-0',
      'plusA 0:e:1-0',
      'plusB 0:e:1-0',
      'direct $dws/conn/c1 {"hi":1}',
      'hash 0:e:2-0',
      'plusB 0:e:2-0',
    ]);
    expect(client.session).toEqual({ token: 'token-c1', positions: ['0:e:2-0', '1:e:1-0'] });
  });

  it('sends unsubscribe when the last handler of a pattern leaves', async () => {
    const { client } = start();
    const ws = await nextSocket(1);
    ws.welcome();
    const off = client.subscribe('chat/rooms/1', () => undefined);
    off();
    off(); // harmless
    expect(ws.sent.map((f) => [f.event, f.data.topic])).toEqual([
      ['subscribe', 'chat/rooms/1'],
      ['unsubscribe', 'chat/rooms/1'],
    ]);
  });

  it('resumes on the next URL with its token, topics and positions, ignoring live frames until the answer', async () => {
    const { client, events } = start();
    const texts: string[] = [];
    client.subscribe('chat/rooms/+', (payload: any) => texts.push(payload.text));
    const first = await nextSocket(1);
    first.welcome('c1', ['0:e:0-0', '1:e:0-0']);
    first.message('chat/rooms/1', '0:e:5-0', { text: 'm1' });
    const pending = client.call('stats', {});
    first.drop(1012, 'server restarting');
    expect((await rejection(pending)).code).toBe('DWS_CLIENT_DISCONNECTED');
    expect(events.disconnected).toEqual([
      { code: 1012, reason: 'server restarting', willReconnect: true },
    ]);
    expect(client.state).toBe('reconnecting');

    const second = await nextSocket(2);
    expect(second.url).toBe('ws://b.test/ws');
    second.welcome('c2', ['0:e:9-0', '1:e:3-0']);
    expect(second.sent).toEqual([
      {
        event: 'resume',
        id: expect.any(Number),
        data: { token: 'token-c1', topics: ['chat/rooms/+'], positions: ['0:e:5-0', '1:e:0-0'] },
      },
    ]);
    // Live traffic before the answer is part of the replay: it must neither be delivered now
    // nor move the positions.
    second.message('chat/rooms/1', '0:e:9-0', { text: 'm3' });
    second.frame({ event: 'positions', data: { positions: ['0:e:9-0', '1:e:3-0'] } });
    second.ack('resume', {
      recovered: true,
      connectionId: 'c1',
      sessionToken: 'token-c1b',
      topics: ['chat/rooms/+'],
      rejected: [],
      replayed: 2,
    });
    second.message('chat/rooms/1', '0:e:7-0', { text: 'm2' });
    second.message('chat/rooms/1', '0:e:9-0', { text: 'm3' });
    second.frame({ event: 'positions', data: { positions: ['0:e:9-0', '1:e:3-0'] } });
    second.message('chat/rooms/1', '0:e:9-0', { text: 'm3' }); // duplicate at the seam
    second.message('chat/rooms/2', '0:e:10-0', { text: 'm4' });
    expect(texts).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(events.connected.at(-1)).toEqual({ connectionId: 'c1', resumed: true, recovered: true });
    expect(events.notRecovered).toEqual([]);
    expect(client.connectionId).toBe('c1');
    expect(client.session?.token).toBe('token-c1b');
  });

  it('emits notRecovered with the reason when the replay is impossible', async () => {
    const { client, events } = start();
    client.subscribe('chat/rooms/+', () => undefined);
    (await nextSocket(1)).welcome();
    FakeWebSocket.last.drop();
    const second = await nextSocket(2);
    second.welcome('c2');
    second.ack('resume', {
      recovered: false,
      reason: 'window',
      connectionId: 'c1',
      sessionToken: 't',
      topics: ['chat/rooms/+'],
      rejected: [],
      replayed: 0,
    });
    expect(events.connected.at(-1)).toEqual({
      connectionId: 'c1',
      resumed: true,
      recovered: false,
    });
    expect(events.notRecovered).toEqual([{ reason: 'window' }]);
  });

  it('starts a fresh session and re-subscribes when the server refuses the session token', async () => {
    const { client, events } = start({ session: { token: 'garbage', positions: ['0:e:1-0'] } });
    client.subscribe('chat/rooms/1', () => undefined);
    const ws = await nextSocket(1);
    ws.welcome('fresh');
    expect(ws.lastSent('resume').data).toEqual({
      token: 'garbage',
      topics: ['chat/rooms/1'],
      positions: ['0:e:1-0'],
    });
    ws.frame({
      event: 'error',
      id: ws.lastSent('resume').id,
      data: { code: 'DWS_ERR_INVALID_SESSION', message: 'Session token is invalid.' },
    });
    expect(events.notRecovered).toHaveLength(1);
    expect(events.notRecovered[0].reason).toBe('session');
    expect(events.notRecovered[0].error?.code).toBe('DWS_ERR_INVALID_SESSION');
    expect(events.connected).toEqual([{ connectionId: 'fresh', resumed: false, recovered: false }]);
    expect(ws.lastSent('subscribe').data).toEqual({ topic: 'chat/rooms/1' });
    expect(client.session).toEqual({ token: 'token-fresh', positions: ['0:e:0-0', '1:e:0-0'] });
  });

  it('rejects ready, emits error and forgets a pattern the server refuses', async () => {
    const { client, events } = start();
    const sub = client.subscribe('chat/rooms/staff', () => undefined);
    const ws = await nextSocket(1);
    ws.welcome();
    ws.frame({
      event: 'error',
      id: ws.lastSent('subscribe').id,
      data: { code: 'DWS_ERR_FORBIDDEN', message: 'denied' },
    });
    const error = await rejection(sub.ready);
    expect([error.code, error.message, error.details]).toEqual([
      'DWS_ERR_FORBIDDEN',
      'Subscription to "chat/rooms/staff" failed: denied',
      { topic: 'chat/rooms/staff' },
    ]);
    expect(events.error).toEqual([error]);
    ws.drop();
    (await nextSocket(2)).welcome('c2');
    expect(FakeWebSocket.last.lastSent('resume').data.topics).toEqual([]);
  });

  it('rejects a request with the code and message of the error frame', async () => {
    const { client } = start();
    const ws = await nextSocket(1);
    ws.welcome();
    const published = client.publish('chat/rooms/1', { text: '' });
    ws.frame({
      event: 'error',
      id: ws.lastSent('publish').id,
      data: { code: 'DWS_ERR_HTTP_EXCEPTION', message: 'Nope', status: 418 },
    });
    const error = await rejection(published);
    expect([error.code, error.message, error.details]).toEqual([
      'DWS_ERR_HTTP_EXCEPTION',
      'Nope',
      { status: 418 },
    ]);
  });

  it('rejects with DWS_CLIENT_TIMEOUT when no answer comes, counting time spent disconnected', async () => {
    const { client } = start({ ackTimeoutMs: 30 });
    const error = await rejection(client.call('stats', {}));
    expect([error.code, error.message]).toEqual([
      'DWS_CLIENT_TIMEOUT',
      'No answer to "stats" within 30 ms.',
    ]);
  });

  it('does not reconnect after a session take-over (4003) and fails what is pending', async () => {
    const { client, events } = start();
    (await nextSocket(1)).welcome();
    FakeWebSocket.last.drop(4003, 'session taken over');
    expect(events.disconnected).toEqual([
      { code: 4003, reason: 'session taken over', willReconnect: false },
    ]);
    expect(client.state).toBe('closed');
    expect((await rejection(client.publish('chat/rooms/1', {}))).code).toBe('DWS_CLIENT_CLOSED');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('after 1008 reconnects only when the token provider gives a new token', async () => {
    let token = 'one';
    const { client, events } = start({ token: () => token });
    const first = await nextSocket(1);
    expect([first.url, first.protocols]).toEqual(['ws://a.test/ws', ['dws.bearer', 'one']]);
    first.welcome();
    token = 'two';
    first.drop(1008, 'token expired');
    const second = await nextSocket(2);
    expect([second.url, second.protocols]).toEqual(['ws://b.test/ws', ['dws.bearer', 'two']]);
    expect(events.disconnected).toEqual([
      { code: 1008, reason: 'token expired', willReconnect: true },
    ]);
    second.drop(1008, 'still bad'); // same token "two" again: give up
    await waitFor(() => client.state === 'closed');
    expect(events.disconnected.at(-1)).toEqual({
      code: 1008,
      reason: 'still bad',
      willReconnect: false,
    });
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('gives up on an attempt that gets no welcome within connectTimeoutMs and tries the next URL', async () => {
    const { client, events } = start({ connectTimeoutMs: 20 });
    const first = await nextSocket(1);
    const second = await nextSocket(2);
    expect(first.closedByClient).not.toBeNull();
    expect(second.url).toBe('ws://b.test/ws');
    expect(client.state).toBe('connecting');
    expect(events.disconnected).toEqual([]); // never connected: nothing to report
    second.welcome();
    expect(client.state).toBe('connected');
  });

  it('fails over to every other URL, in random order, before trying any twice', async () => {
    const urls = ['ws://a.test/ws', 'ws://b.test/ws', 'ws://c.test/ws', 'ws://d.test/ws'];
    start({ url: urls });
    const first = await nextSocket(1);
    expect(first.url).toBe('ws://a.test/ws');
    first.welcome();
    first.drop(1006);
    // Sockets #2–#4 fail before their welcome: the three other URLs, each once.
    const failing = await failAttempts(2, 4);
    expect([...failing].sort()).toEqual(['ws://b.test/ws', 'ws://c.test/ws', 'ws://d.test/ws']);
    // Then a new round, which may come back to a but not repeat the last attempt at once.
    const fifth = await nextSocket(5);
    expect(urls.filter((url) => url !== failing[2])).toContain(fifth.url);
    // A connection that got its welcome starts the rounds over from its own URL.
    fifth.welcome('c2');
    fifth.drop(1006);
    const after = await failAttempts(6, 8);
    expect([...after].sort()).toEqual(urls.filter((url) => url !== fifth.url));
  });

  it('spreads the clients of a lost instance over the other URLs', async () => {
    const urls = ['ws://a.test/ws', 'ws://b.test/ws', 'ws://c.test/ws'];
    for (let n = 0; n < 200; n++) start({ url: urls });
    await waitFor(() => FakeWebSocket.instances.length === 200, { message: '200 sockets' });
    const firstSockets = [...FakeWebSocket.instances];
    expect(new Set(firstSockets.map((ws) => ws.url))).toEqual(new Set(['ws://a.test/ws']));
    for (const ws of firstSockets) ws.welcome();
    for (const ws of firstSockets) ws.drop(1006);
    await waitFor(() => FakeWebSocket.instances.length === 400, { message: '200 reconnections' });
    const landed = new Map<string, number>();
    for (const ws of FakeWebSocket.instances.slice(200)) {
      landed.set(ws.url, (landed.get(ws.url) ?? 0) + 1);
    }
    // Each survivor gets half, give or take: 200 fair coin flips fall outside 60–140 with a
    // probability of about 1e-8. Before, all 200 went to b, the URL after a.
    expect([...landed.keys()].sort()).toEqual(['ws://b.test/ws', 'ws://c.test/ws']);
    expect(landed.get('ws://b.test/ws')! + landed.get('ws://c.test/ws')!).toBe(200);
    expect(landed.get('ws://b.test/ws')).toBeGreaterThanOrEqual(60);
    expect(landed.get('ws://c.test/ws')).toBeGreaterThanOrEqual(60);
  });

  it('close() stops for good: pending requests reject, the socket closes with 1000', async () => {
    const { client, events } = start();
    const ws = await nextSocket(1);
    ws.welcome();
    const pending = client.call('stats', {});
    client.close();
    expect((await rejection(pending)).code).toBe('DWS_CLIENT_CLOSED');
    expect(ws.closedByClient).toEqual({ code: 1000, reason: 'client closed' });
    expect(events.disconnected).toEqual([
      { code: 1000, reason: 'client closed', willReconnect: false },
    ]);
    expect(() => client.subscribe('a', () => undefined)).toThrow('The client was closed.');
  });

  it('reports a throwing handler as an error event and keeps dispatching', async () => {
    const { client, events } = start();
    const seen: number[] = [];
    client.subscribe('a/+', () => {
      throw new Error('boom');
    });
    client.subscribe('a/#', (p: any) => seen.push(p));
    const ws = await nextSocket(1);
    ws.welcome();
    ws.message('a/b', '0:e:1-0', 1);
    expect(seen).toEqual([1]);
    expect(events.error.map((e) => [e.code, e.message])).toEqual([
      ['DWS_CLIENT_HANDLER_FAILED', 'A handler of "a/b" threw: boom'],
    ]);
  });

  it('refuses invalid and reserved patterns, reserved events and bad options', async () => {
    const { client } = start();
    expect(() => client.subscribe('a//b', () => undefined)).toThrow(
      expect.objectContaining({ code: 'DWS_ERR_INVALID_TOPIC' }),
    );
    expect(() => client.subscribe('$dws/broadcast', () => undefined)).toThrow(
      expect.objectContaining({ code: 'DWS_ERR_RESERVED_TOPIC' }),
    );
    expect((await rejection(client.call('resume', {}))).code).toBe('DWS_CLIENT_INVALID_ARGUMENT');
    const make = (options: Partial<DistributedWsClientOptions>) => () =>
      new DistributedWsClient({ url: 'ws://x/ws', WebSocket: FakeWebSocket, ...options });
    expect(make({ url: [] })).toThrow('`url` is required');
    expect(make({ url: 'localhost:3000' })).toThrow('must use ws:// or wss://');
    expect(make({ url: '/ws' })).toThrow('is not an absolute URL');
    expect(make({ minDelayMs: 500, maxDelayMs: 100 })).toThrow(
      '`maxDelayMs` (100) must not be below `minDelayMs` (500).',
    );
    expect(make({ WebSocket: undefined })).toThrow('No WebSocket implementation');
    expect(make({ token: 't', getToken: () => 't' })).toThrow(
      'Give `getToken` or `token`, not both.',
    );
    expect(make({ tokenTransport: 'header' })).toThrow(
      "`tokenTransport: 'header'` needs a WebSocket class that takes headers",
    );
    expect((await rejection(client.call('refresh', {}))).code).toBe('DWS_CLIENT_INVALID_ARGUMENT');
  });
});

describe('DistributedWsClient credentials (scripted server)', () => {
  it('keeps the token out of the URL by default, in the dws.bearer subprotocol; query only when asked', async () => {
    start({ getToken: () => 'eyJ.a-b_c.d' });
    const byDefault = await nextSocket(1);
    expect([byDefault.url, byDefault.protocols]).toEqual([
      'ws://a.test/ws',
      ['dws.bearer', 'eyJ.a-b_c.d'],
    ]);
    start({ token: 'fixed', tokenTransport: 'query' });
    const byQuery = await nextSocket(2);
    expect([byQuery.url, byQuery.protocols]).toEqual([
      'ws://a.test/ws?access_token=fixed',
      undefined,
    ]);
    start();
    const anonymous = await nextSocket(3);
    expect([anonymous.url, anonymous.protocols]).toEqual(['ws://a.test/ws', undefined]);
  });

  it('does not connect with a token a subprotocol cannot carry, and says what to do', async () => {
    const { events } = start({ getToken: () => 'base64/with+padding==' });
    await waitFor(() => events.error.length > 0);
    expect(events.error[0]).toMatchObject({ code: 'DWS_CLIENT_INVALID_ARGUMENT' });
    expect(events.error[0].message).toContain("set `tokenTransport: 'query'`");
    expect(FakeWebSocket.instances).toHaveLength(0);
  });

  it("answers the server's refresh frame with a new token on the same connection", async () => {
    const tokens = ['t1', 't2', 't2'];
    let calls = 0;
    const { events } = start({ getToken: () => tokens[calls++] });
    const ws = await nextSocket(1);
    ws.welcome();
    ws.frame({ event: 'refresh', data: { expiresInMs: 150 } });
    await waitFor(() => ws.lastSent('refresh'));
    expect(ws.lastSent('refresh').data).toEqual({ token: 't2' });
    ws.ack('refresh', { expiresInMs: 1500 });
    // The provider gives the token in use again: nothing to send.
    ws.frame({ event: 'refresh', data: { expiresInMs: 150 } });
    await waitFor(() => calls === 3);
    expect(ws.sent.filter((f) => f.event === 'refresh')).toHaveLength(1);
    expect([events.disconnected, events.error]).toEqual([[], []]);
  });

  it('reports a refused refresh as an error event', async () => {
    let calls = 0;
    const { events } = start({ getToken: () => `t${++calls}` });
    const ws = await nextSocket(1);
    ws.welcome();
    ws.frame({ event: 'refresh', data: { expiresInMs: 150 } });
    await waitFor(() => ws.lastSent('refresh'));
    ws.frame({
      event: 'error',
      id: ws.lastSent('refresh').id,
      data: { code: 'DWS_ERR_FORBIDDEN', message: 'The new token belongs to another user.' },
    });
    expect(events.error).toEqual([
      expect.objectContaining({
        code: 'DWS_ERR_FORBIDDEN',
        message: 'The new token belongs to another user.',
      }),
    ]);
  });

  it('after 4004 reconnects with a new token; with a fixed token it stops', async () => {
    let calls = 0;
    const renewing = start({ getToken: () => `t${++calls}` });
    const first = await nextSocket(1);
    first.welcome();
    first.drop(4004, 'credentials expired');
    const second = await nextSocket(2);
    expect(second.protocols).toEqual(['dws.bearer', 't2']);
    expect(renewing.events.disconnected).toEqual([
      { code: 4004, reason: 'credentials expired', willReconnect: true },
    ]);

    const fixed = start({ token: 'same' });
    const third = await nextSocket(3);
    third.welcome();
    third.drop(4004, 'credentials expired');
    await waitFor(() => fixed.client.state === 'closed');
    expect(fixed.events.disconnected).toEqual([
      { code: 4004, reason: 'credentials expired', willReconnect: false },
    ]);
    expect(FakeWebSocket.instances).toHaveLength(3);
  });
});

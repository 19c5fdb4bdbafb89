import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Broadcaster } from '../../lib/index.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

describe('protocol on one instance (memory broker)', () => {
  let app: TestApp;
  const connect = () => app.connect();

  beforeAll(async () => {
    app = await startTestApp({ maxPayload: 4096, maxDepth: 8 }, { providers: [FixtureGateway] });
  });
  afterEach(() => app.closeClients());
  afterAll(() => app.close());

  it('welcomes with a connection id, a session token and one position per shard', async () => {
    const client = await connect();
    const { data } = client.welcome;
    expect(data.connectionId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(typeof data.sessionToken).toBe('string');
    expect(data.shards).toBe(16);
    expect(data.positions).toHaveLength(16);
    expect(data.positions[3]).toMatch(/^3:[A-Za-z0-9]+:\d+-\d+$/);
  });

  it('delivers a publish to a wildcard subscriber, acking both frames by id', async () => {
    const reader = await connect();
    const writer = await connect();
    expect(await reader.request('subscribe', { topic: 'chat/rooms/+' })).toEqual({
      event: 'ack',
      id: 'r1',
      data: { topic: 'chat/rooms/+', subscribed: true, alreadySubscribed: false },
    });
    const ack = await writer.request('publish', {
      topic: 'chat/rooms/7',
      payload: { text: 'hello' },
    });
    expect(ack.event).toBe('ack');
    expect(ack.data.topic).toBe('chat/rooms/7');
    const message = await reader.next((f) => f.event === 'message');
    expect(message.data).toEqual({
      topic: 'chat/rooms/7',
      payload: { text: 'HELLO' },
      offset: ack.data.offset,
    });
  });

  it('answers an invalid payload with DWS_ERR_INVALID_PAYLOAD and delivers it to nobody', async () => {
    const reader = await connect();
    const writer = await connect();
    await reader.request('subscribe', { topic: 'chat/#' });
    const error = await writer.request('publish', { topic: 'chat/rooms/7', payload: { text: '' } });
    expect(error).toEqual({
      event: 'error',
      id: 'r1',
      data: {
        code: 'DWS_ERR_INVALID_PAYLOAD',
        message: 'payload.text must NOT have fewer than 1 characters.',
      },
    });
    await writer.request('publish', { topic: 'chat/rooms/7', payload: { text: 'after' } });
    await reader.next((f) => f.event === 'message');
    expect(reader.messages().map((m) => m.payload)).toEqual([{ text: 'AFTER' }]);
  });

  it('delivers a message matching two subscriptions of a connection once', async () => {
    const reader = await connect();
    await reader.request('subscribe', { topic: 'chat/rooms/+' });
    await reader.request('subscribe', { topic: 'chat/rooms/9' });
    await reader.request('publish', { topic: 'chat/rooms/9', payload: { text: 'once' } });
    await reader.request('publish', { topic: 'chat/rooms/10', payload: { text: 'marker' } });
    await reader.until(() => reader.messages().length >= 2);
    expect(reader.messages().map((m) => m.payload.text)).toEqual(['ONCE', 'MARKER']);
  });

  it('stops delivering after unsubscribe, and says whether it was subscribed', async () => {
    const reader = await connect();
    await reader.request('subscribe', { topic: 'chat/rooms/1' });
    expect((await reader.request('unsubscribe', { topic: 'chat/rooms/1' })).data).toEqual({
      topic: 'chat/rooms/1',
      subscribed: false,
      wasSubscribed: true,
    });
    expect(
      (await reader.request('unsubscribe', { topic: 'chat/rooms/1' })).data.wasSubscribed,
    ).toBe(false);
    await reader.request('subscribe', { topic: 'chat/rooms/2' });
    await reader.request('publish', { topic: 'chat/rooms/1', payload: { text: 'gone' } });
    await reader.request('publish', { topic: 'chat/rooms/2', payload: { text: 'here' } });
    await reader.next((f) => f.event === 'message');
    expect(reader.messages().map((m) => m.topic)).toEqual(['chat/rooms/2']);
  });

  describe('bad input is answered, never ignored', () => {
    const cases: [string, string, object][] = [
      ['non-JSON', '{"event":', { code: 'DWS_ERR_BAD_JSON', message: 'Frame is not valid JSON.' }],
      [
        'an array',
        '[1,2]',
        {
          code: 'DWS_ERR_BAD_FRAME',
          message:
            'Frame must be a JSON object {"event": string, "id"?: string|number, "data"?: any}.',
        },
      ],
      [
        'a string',
        '"subscribe"',
        {
          code: 'DWS_ERR_BAD_FRAME',
          message:
            'Frame must be a JSON object {"event": string, "id"?: string|number, "data"?: any}.',
        },
      ],
      [
        'null',
        'null',
        {
          code: 'DWS_ERR_BAD_FRAME',
          message:
            'Frame must be a JSON object {"event": string, "id"?: string|number, "data"?: any}.',
        },
      ],
      [
        'deep nesting',
        '{"event":"echo","data":' + '['.repeat(50) + ']'.repeat(50) + '}',
        {
          code: 'DWS_ERR_TOO_DEEP',
          message: 'Frame nests deeper than 8 levels of objects and arrays.',
        },
      ],
      [
        'an object id',
        '{"event":"echo","id":{"x":1}}',
        {
          code: 'DWS_ERR_BAD_FRAME',
          message: '"id" must be a non-empty string of at most 128 characters or an integer.',
        },
      ],
    ];
    it.each(cases)('%s → error frame', async (_name, raw, data) => {
      const client = await connect();
      client.sendRaw(raw);
      expect(await client.next((f) => f.event === 'error')).toEqual({ event: 'error', data });
    });

    const withId: [string, object, object][] = [
      [
        'missing event',
        { id: 'x1', data: {} },
        { code: 'DWS_ERR_BAD_FRAME', message: '"event" must be a non-empty string.' },
      ],
      [
        'non-string event',
        { id: 'x1', event: 7 },
        { code: 'DWS_ERR_BAD_FRAME', message: '"event" must be a non-empty string.' },
      ],
      [
        'unknown event',
        { id: 'x1', event: 'dance' },
        { code: 'DWS_ERR_UNKNOWN_EVENT', message: 'No handler for event "dance".' },
      ],
      [
        'a server event',
        { id: 'x1', event: 'welcome' },
        {
          code: 'DWS_ERR_UNKNOWN_EVENT',
          message: '"welcome" is sent by the server, not by clients.',
        },
      ],
      [
        'the server-only positions event',
        { id: 'x1', event: 'positions', data: { positions: [] } },
        {
          code: 'DWS_ERR_UNKNOWN_EVENT',
          message: '"positions" is sent by the server, not by clients.',
        },
      ],
      [
        'subscribe without data',
        { id: 'x1', event: 'subscribe' },
        { code: 'DWS_ERR_BAD_REQUEST', message: 'subscribe needs data {"topic": string}.' },
      ],
      [
        'an empty level',
        { id: 'x1', event: 'subscribe', data: { topic: 'chat//x' } },
        { code: 'DWS_ERR_INVALID_TOPIC' },
      ],
      [
        '"#" not last',
        { id: 'x1', event: 'subscribe', data: { topic: 'chat/#/x' } },
        { code: 'DWS_ERR_INVALID_TOPIC' },
      ],
      [
        'a non-string topic',
        { id: 'x1', event: 'subscribe', data: { topic: 42 } },
        { code: 'DWS_ERR_INVALID_TOPIC' },
      ],
      [
        'a too long topic',
        { id: 'x1', event: 'subscribe', data: { topic: 'a/'.repeat(200) + 'b' } },
        { code: 'DWS_ERR_INVALID_TOPIC' },
      ],
      [
        'a wildcard in a publish',
        { id: 'x1', event: 'publish', data: { topic: 'chat/rooms/+', payload: { text: 'x' } } },
        { code: 'DWS_ERR_INVALID_TOPIC' },
      ],
      [
        'an undeclared pattern',
        { id: 'x1', event: 'subscribe', data: { topic: 'nothing/here' } },
        {
          code: 'DWS_ERR_UNKNOWN_TOPIC',
          message: 'Pattern "nothing/here" matches no topic declared by a gateway.',
        },
      ],
      [
        'an undeclared topic',
        { id: 'x1', event: 'publish', data: { topic: 'nothing/here', payload: 1 } },
        {
          code: 'DWS_ERR_UNKNOWN_TOPIC',
          message: 'Topic "nothing/here" is not declared by any gateway.',
        },
      ],
      [
        'a reserved topic',
        { id: 'x1', event: 'subscribe', data: { topic: '$dws/broadcast' } },
        {
          code: 'DWS_ERR_RESERVED_TOPIC',
          message: 'Topic "$dws/broadcast" is reserved to the server.',
        },
      ],
      [
        'a publish to a reserved topic',
        { id: 'x1', event: 'publish', data: { topic: '$dws/conn/abc', payload: 1 } },
        {
          code: 'DWS_ERR_RESERVED_TOPIC',
          message: 'Topic "$dws/conn/abc" is reserved to the server.',
        },
      ],
      [
        'a read-only topic',
        { id: 'x1', event: 'publish', data: { topic: 'news/world', payload: {} } },
        {
          code: 'DWS_ERR_PUBLISH_NOT_ALLOWED',
          message: 'Clients may not publish to "news/{section}".',
        },
      ],
      [
        'a denied subscription',
        { id: 'x1', event: 'subscribe', data: { topic: 'chat/rooms/secret' } },
        { code: 'DWS_ERR_FORBIDDEN', message: 'Subscription to "chat/rooms/secret" was denied.' },
      ],
      [
        'a parameter off its pattern',
        { id: 'x1', event: 'publish', data: { topic: 'orders/abc/status', payload: 1 } },
        {
          code: 'DWS_ERR_INVALID_TOPIC',
          message: 'Parameter "orderId" of "orders/{orderId}/status" must match ^[0-9]+$.',
        },
      ],
      [
        'publish without payload',
        { id: 'x1', event: 'publish', data: { topic: 'chat/rooms/1' } },
        {
          code: 'DWS_ERR_BAD_REQUEST',
          message: 'publish needs data {"topic": string, "payload": any}.',
        },
      ],
      [
        'a hook refusal',
        {
          id: 'x1',
          event: 'publish',
          data: { topic: 'chat/rooms/1', payload: { text: 'forbidden words' } },
        },
        { code: 'DWS_ERR_FORBIDDEN', message: 'Publishing to "chat/rooms/1" was refused.' },
      ],
      [
        'a hook exception',
        { id: 'x1', event: 'publish', data: { topic: 'chat/rooms/1', payload: { text: 'throw' } } },
        { code: 'DWS_ERR_REJECTED', message: 'Hook said no.' },
      ],
      [
        'an event payload off its schema',
        { id: 'x1', event: 'echo', data: { shout: 'x' } },
        { code: 'DWS_ERR_INVALID_PAYLOAD', message: 'payload is missing required property "say".' },
      ],
    ];
    it.each(withId)('%s → error frame with the id', async (_name, frame, data) => {
      const client = await connect();
      client.sendRaw(JSON.stringify(frame));
      const error = await client.next((f) => f.event === 'error');
      expect(error).toMatchObject({ event: 'error', data });
      expect(error.data.message).toEqual(expect.any(String));
      if ((frame as { event?: unknown }).event !== 7 && 'id' in frame) expect(error.id).toBe('x1');
    });

    it('answers a binary frame with DWS_ERR_BINARY_FRAME', async () => {
      const client = await connect();
      client.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
      expect(await client.next((f) => f.event === 'error')).toEqual({
        event: 'error',
        data: {
          code: 'DWS_ERR_BINARY_FRAME',
          message: 'Binary frames are not supported: send JSON text frames.',
        },
      });
    });

    it('closes with 1009 on a frame over maxPayload, leaving other clients untouched', async () => {
      const bystander = await connect();
      await bystander.request('subscribe', { topic: 'chat/rooms/+' });
      const abuser = await connect();
      abuser.sendRaw(JSON.stringify({ event: 'echo', data: { say: 'x'.repeat(5000) } }));
      expect((await abuser.waitClosed()).code).toBe(1009);
      await bystander.request('publish', {
        topic: 'chat/rooms/3',
        payload: { text: 'still here' },
      });
      expect((await bystander.next((f) => f.event === 'message')).data.payload).toEqual({
        text: 'STILL HERE',
      });
    });

    it('keeps serving a client after all of that', async () => {
      const client = await connect();
      for (const raw of [
        '{',
        '[]',
        '{"event":1}',
        '{"event":"nope","id":1}',
        '{"event":"subscribe","id":2,"data":{"topic":"a//b"}}',
      ]) {
        client.sendRaw(raw);
      }
      await client.until(() => client.frames.filter((f) => f.event === 'error').length === 5);
      expect((await client.request('echo', { say: 'fine' })).data).toEqual({ said: 'fine' });
    });
  });

  describe('gateway handlers', () => {
    it('acks a return value with the frame id (sync and async)', async () => {
      const client = await connect();
      expect(await client.request('echo', { say: 'hi' })).toEqual({
        event: 'ack',
        id: 'r1',
        data: { said: 'hi' },
      });
      expect(await client.request('async-echo', [1, 2])).toEqual({
        event: 'ack',
        id: 'r2',
        data: [1, 2],
      });
    });

    it('sends a frame without id back the way plain Nest does', async () => {
      const client = await connect();
      client.sendRaw(JSON.stringify({ event: 'nest-style' }));
      expect(await client.next((f) => f.event === 'answer')).toEqual({ event: 'answer', data: 42 });
    });

    it.each([
      ['fail-ws', { code: 'DWS_ERR_REJECTED', message: 'Room is full.' }],
      ['fail-ws-object', { code: 'APP_ERR_QUOTA', message: 'Quota exceeded.', limit: 3 }],
      ['fail-http', { code: 'DWS_ERR_HTTP_EXCEPTION', message: 'Name is required.', status: 400 }],
      ['fail-internal', { code: 'DWS_ERR_INTERNAL', message: 'Internal server error.' }],
      ['guarded', { code: 'DWS_ERR_FORBIDDEN', message: 'Forbidden resource' }],
    ])('%s → error frame with the id, no ack', async (event, data) => {
      const client = await connect();
      expect(await client.request(event, {})).toEqual({ event: 'error', id: 'r1', data });
      await client.request('echo', { say: 'next' });
      expect(client.frames.filter((f) => f.id === 'r1')).toHaveLength(1);
    });
  });

  describe('Broadcaster', () => {
    it('publishes, broadcasts, sends to connections and disconnects', async () => {
      const broadcaster = app.app.get(Broadcaster);
      const a = await connect();
      const b = await connect();
      await a.request('subscribe', { topic: 'news/+' });
      const offset = await broadcaster.publish('news/world', { headline: 'x' });
      expect((await a.next((f) => f.event === 'message')).data).toEqual({
        topic: 'news/world',
        payload: { headline: 'x' },
        offset,
      });

      await broadcaster.broadcast({ all: true });
      for (const c of [a, b]) {
        expect(
          (await c.next((f) => f.event === 'message' && f.data.topic === '$dws/broadcast')).data
            .payload,
        ).toEqual({ all: true });
      }
      const aId = a.welcome.data.connectionId;
      const bId = b.welcome.data.connectionId;
      await broadcaster.sendToConnection(bId, { only: 'b' });
      expect((await b.next((f) => f.data?.topic === `$dws/conn/${bId}`)).data.payload).toEqual({
        only: 'b',
      });
      await broadcaster.sendToConnection([aId, bId], { both: 1 });
      await a.until(() => a.messages(`$dws/conn/${aId}`).length === 1);
      await b.until(() => b.messages(`$dws/conn/${bId}`).length === 2);
      expect(a.messages(`$dws/conn/${aId}`).map((m) => m.payload)).toEqual([{ both: 1 }]);

      await broadcaster.disconnect(aId, 4100, 'bye');
      expect(await a.waitClosed()).toEqual({ code: 4100, reason: 'bye' });
      expect(b.closed).toBeNull();
    });

    it('refuses what could never be delivered', async () => {
      const broadcaster = app.app.get(Broadcaster);
      await expect(broadcaster.publish('news/+', {})).rejects.toThrow(
        'only allowed in subscriptions',
      );
      await expect(broadcaster.publish('$dws/broadcast', {})).rejects.toThrow('is reserved');
      await expect(broadcaster.publish('chat/rooms/1', { text: 5 })).rejects.toThrow(
        'Payload for "chat/rooms/1" does not match its schema: payload.text must be string.',
      );
      await expect(broadcaster.disconnect('x', 1006)).rejects.toThrow(
        'Close code 1006 cannot be sent',
      );
    });
  });
});

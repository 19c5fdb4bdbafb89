import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import {
  connect,
  type DistributedWsClient,
  type DistributedWsClientOptions,
  DwsClientError,
} from '../../lib/client/index.js';
import { AppModule } from '../../sample/app.module.js';
import type { ChatMessage } from '../../sample/chat.gateway.js';
import { waitFor } from '../support/wait-for.js';
import { WsTestClient } from '../support/ws-test-client.js';
import { recordEvents } from '../unit/client/record-events.js';

interface ChatTopics {
  [room: `chat/rooms/${string}`]: ChatMessage;
}

/** Compiled, never run: the payload types follow the topic map. */
export function typeChecks(
  sdk: DistributedWsClient<ChatTopics>,
  untyped: DistributedWsClient,
): void {
  // @ts-expect-error `text` is required on chat rooms
  void sdk.publish('chat/rooms/x', { author: 'ada' });
  sdk.subscribe('chat/rooms/+', (message) => message.text.toUpperCase());
  // @ts-expect-error payloads of unknown topics are `unknown`
  sdk.subscribe('news/+', (message) => message.text);
  void untyped.publish('anything/goes', 42);
}

describe('client SDK against the sample app (Node, ws)', () => {
  let app: INestApplication;
  let url: string;
  let registry: ConnectionRegistry;
  const clients: DistributedWsClient<ChatTopics>[] = [];
  const raw: WsTestClient[] = [];

  /** A client with every event recorded, resolved once it is connected. */
  async function client(options: Partial<DistributedWsClientOptions> = {}) {
    const sdk = connect<ChatTopics>({ url, WebSocket, ...options });
    clients.push(sdk);
    const events = recordEvents(sdk);
    await waitFor(() => events.connected.length > 0, { message: 'the first connected event' });
    return { sdk, events };
  }

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/ws`;
    registry = app.get(ConnectionRegistry);
  });
  afterEach(() => {
    clients.splice(0).forEach((c) => c.close());
    raw.splice(0).forEach((c) => c.close());
  });
  afterAll(() => app.close());

  it('publishes and receives the exact message, as stamped by the server', async () => {
    const { sdk } = await client();
    const received: [ChatMessage, { topic: string; offset: string }][] = [];
    await sdk.subscribe('chat/rooms/lobby', (message, meta) => received.push([message, meta]))
      .ready;

    const ack = await sdk.publish('chat/rooms/lobby', { text: 'hello', author: 'ada' });
    const anonymous = await sdk.publish('chat/rooms/lobby', { text: 'who am I?' });
    await waitFor(() => received.length === 2);

    expect(ack).toEqual({ topic: 'chat/rooms/lobby', offset: expect.any(String) });
    const [[first, firstMeta], [second]] = received;
    expect(firstMeta).toEqual({ topic: 'chat/rooms/lobby', offset: ack.offset });
    expect(first).toEqual({ text: 'hello', author: 'ada', sentAt: first.sentAt });
    expect(new Date(first.sentAt!).toISOString()).toBe(first.sentAt);
    expect(received[1][1].offset).toBe(anonymous.offset);
    expect(second).toEqual({
      text: 'who am I?',
      author: `guest-${sdk.connectionId!.slice(0, 6)}`,
      sentAt: second.sentAt,
    });
  });

  it('rejects a publish refused by the schema with DWS_ERR_INVALID_PAYLOAD', async () => {
    const { sdk } = await client();
    const error = await sdk.publish('chat/rooms/lobby', { text: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DwsClientError);
    expect((error as DwsClientError).code).toBe('DWS_ERR_INVALID_PAYLOAD');
    expect((error as DwsClientError).message).toBe(
      'payload.text must NOT have fewer than 1 characters.',
    );
  });

  it('calls a gateway event and resolves with its reply', async () => {
    await waitFor(() => registry.size === 0, { message: 'earlier connections to close' });
    const { sdk } = await client();
    await expect(sdk.call('stats', {})).resolves.toEqual({ connections: 1 });
  });

  it('stops delivering to a handler once unsubscribed, and refuses denied rooms', async () => {
    const { sdk, events } = await client();
    const one: string[] = [];
    const all: string[] = [];
    const off = sdk.subscribe('chat/rooms/one', (m) => one.push(m.text));
    // A second handler of the same room (the sample refuses chat/rooms/+: its hook guards a room).
    await sdk.subscribe('chat/rooms/one', (m) => all.push(m.text)).ready;
    await off.ready;
    await sdk.publish('chat/rooms/one', { text: 'a' });
    await waitFor(() => all.length === 1 && one.length === 1);
    off();
    await sdk.publish('chat/rooms/one', { text: 'b' });
    await waitFor(() => all.length === 2);
    expect([one, all]).toEqual([['a'], ['a', 'b']]);

    const denied = await sdk.subscribe('chat/rooms/staff', () => undefined).ready.catch((e) => e);
    expect((denied as DwsClientError).code).toBe('DWS_ERR_FORBIDDEN');
    expect(events.error.map((e) => e.code)).toEqual(['DWS_ERR_FORBIDDEN']);
  });

  it('reconnects after the server drops the socket and receives what was missed, once and in order', async () => {
    const { sdk: reader, events } = await client({ minDelayMs: 1500, maxDelayMs: 1500 });
    const { sdk: writer } = await client();
    const texts: string[] = [];
    await reader.subscribe('chat/rooms/resume', (m) => texts.push(m.text)).ready;
    await writer.publish('chat/rooms/resume', { text: 'before' });
    await waitFor(() => texts.length === 1);

    const sessionId = reader.connectionId!;
    registry.get(sessionId)!.ws.terminate();
    await waitFor(() => events.disconnected.length === 1);
    expect(events.disconnected).toEqual([{ code: 1006, reason: '', willReconnect: true }]);
    // The reconnect waits 1.5 s: these are published while the reader is away.
    for (let i = 1; i <= 5; i++) await writer.publish('chat/rooms/resume', { text: `away ${i}` });
    expect(reader.state).toBe('reconnecting');

    await waitFor(() => events.connected.length === 2, { message: 'the resume' });
    await writer.publish('chat/rooms/resume', { text: 'after' });
    await waitFor(() => texts.length >= 7);
    expect(texts).toEqual(['before', 'away 1', 'away 2', 'away 3', 'away 4', 'away 5', 'after']);
    expect(events.connected).toEqual([
      { connectionId: sessionId, resumed: false, recovered: false },
      { connectionId: sessionId, resumed: true, recovered: true },
    ]);
    expect(events.notRecovered).toEqual([]);
  });

  it('emits notRecovered for a garbage session token, then works on a fresh session', async () => {
    const { sdk, events } = await client({ session: { token: 'garbage', positions: [] } });
    expect(events.notRecovered).toHaveLength(1);
    expect(events.notRecovered[0]).toEqual({
      reason: 'session',
      error: expect.any(DwsClientError),
    });
    expect(events.notRecovered[0].error!.code).toBe('DWS_ERR_INVALID_SESSION');
    expect(events.connected).toEqual([
      { connectionId: sdk.connectionId, resumed: false, recovered: false },
    ]);

    const texts: string[] = [];
    await sdk.subscribe('chat/rooms/fresh', (m) => texts.push(m.text)).ready;
    await sdk.publish('chat/rooms/fresh', { text: 'still works' });
    await waitFor(() => texts.length === 1);
    expect(texts).toEqual(['still works']);
  });

  it('fails over to the next URL when an instance does not answer', async () => {
    const { sdk, events } = await client({ url: ['ws://127.0.0.1:1/ws', url], minDelayMs: 10 });
    expect(sdk.state).toBe('connected');
    expect(events.disconnected).toEqual([]);
    await expect(sdk.call('stats', {})).resolves.toEqual({ connections: expect.any(Number) });
  });

  it('does not reconnect when another connection takes the session over (4003)', async () => {
    const { sdk, events } = await client();
    const thief = await WsTestClient.connect(url);
    raw.push(thief);
    const answer = await thief.request('resume', {
      token: sdk.session!.token,
      topics: [],
      positions: [],
    });
    expect(answer.event).toBe('ack');
    await waitFor(() => events.disconnected.length === 1);
    expect(events.disconnected[0]).toMatchObject({ code: 4003, willReconnect: false });
    expect(sdk.state).toBe('closed');
  });
});

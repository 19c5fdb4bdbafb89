import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { WebSocketGateway } from '@nestjs/websockets';
import { SignJWT } from 'jose';
import { DistributedWsModule, OnSubscribe, type SubscribeContext, Topic } from '../../lib/index.js';
import { createTestingGateway, type TestingGateway } from '../../lib/testing/index.js';
import { type Frame, WsTestClient } from '../support/ws-test-client.js';

// The sample reads JWT_SECRET when its module is loaded: set it first, import the sample after.
// (Jest gives each test file its own process.env.)
const JWT_SECRET = 'wildcard-attack-test-secret-0123456789';
process.env.JWT_SECRET = JWT_SECRET;

const STAFF = 'chat/rooms/staff';
const LOBBY = 'chat/rooms/lobby';

/** Frames about the staff room: its messages, and its join/leave presence frames. */
const staffFrames = (client: WsTestClient): Frame[] =>
  client.frames.filter(
    (f) => (f.event === 'message' || f.event === 'presence') && f.data.topic === STAFF,
  );

/** Presence frames of a topic as `"<action> <userId>"`. */
const presenceOf = (client: WsTestClient, topic: string): string[] =>
  client.frames
    .filter((f) => f.event === 'presence' && f.data.topic === topic)
    .map((f) => `${f.data.action} ${f.data.member.userId}`);

/**
 * Issue 17, item 5: the sample's hook denies the staff room by `roomId`, and a pattern that
 * leaves `roomId` open used to be accepted without the hook seeing the room, then delivered the
 * staff room's messages and join/leave frames.
 */
describe('wildcards cannot bypass a deny-by-parameter hook (the sample chat, with JWT)', () => {
  let gateway: TestingGateway;

  const sign = (sub: string, staff: boolean) =>
    new SignJWT({ name: sub, ...(staff ? { staff: true } : {}) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JWT_SECRET));
  const as = async (sub: string, staff = false) =>
    WsTestClient.connect(gateway.url, {
      headers: { authorization: `Bearer ${await sign(sub, staff)}` },
    });
  const refusal = (pattern: string) => ({
    code: 'DWS_ERR_WILDCARD_NOT_ALLOWED',
    message: `Pattern "${pattern}" leaves "roomId" of "chat/rooms/{roomId}" open, which that topic does not accept: subscribe to each topic. To accept it, declare @Topic('chat/rooms/{roomId}', { wildcards: true }): the @OnSubscribe hook then decides, with the open parameters in context.openParams.`,
  });

  /**
   * Staff traffic the attacker must not see: `sam` (staff) is in the staff room; `tina` (staff)
   * joins it, `sam` publishes `count` messages there, and `tina` leaves. Then a lobby message, which
   * the attacker receives last: whatever of the staff room would have reached it came before.
   */
  async function staffTraffic(sam: WsTestClient, tag: string, count: number): Promise<void> {
    const tina = await as(`tina-${tag}`, true);
    expect((await tina.request('subscribe', { topic: STAFF })).event).toBe('ack');
    // Joins and leaves are announced after presenceWindowMs: wait for each, or they cancel out.
    await sam.until(() => presenceOf(sam, STAFF).includes(`join tina-${tag}`));
    for (let i = 1; i <= count; i++) {
      const ack = await sam.request('publish', {
        topic: STAFF,
        payload: { text: `${tag} secret ${i}` },
      });
      expect(ack.event).toBe('ack');
    }
    expect((await tina.request('unsubscribe', { topic: STAFF })).event).toBe('ack');
    tina.close();
    await sam.until(() => presenceOf(sam, STAFF).includes(`leave tina-${tag}`));
    await sam.request('publish', { topic: LOBBY, payload: { text: `${tag} after` } });
  }

  beforeAll(async () => {
    const { AppModule } = await import('../../sample/app.module.js');
    gateway = await createTestingGateway(AppModule);
  });
  afterAll(() => gateway?.close());

  it('refuses chat/rooms/+ and chat/#, and the attacker gets 0 staff messages and 0 join/leave frames', async () => {
    const mallory = await as('mallory');
    for (const pattern of ['chat/rooms/+', 'chat/#', '+/rooms/+', 'chat/rooms/#']) {
      const answer = await mallory.request('subscribe', { topic: pattern });
      expect([answer.event, answer.data]).toEqual(['error', refusal(pattern)]);
    }
    // Naming the room is answered by the hook; presence has no wildcard form at all.
    expect((await mallory.request('subscribe', { topic: STAFF })).data).toEqual({
      code: 'DWS_ERR_FORBIDDEN',
      message: 'Subscription to "chat/rooms/staff" was denied.',
    });
    expect((await mallory.request('presence', { topic: 'chat/rooms/+' })).data.code).toBe(
      'DWS_ERR_INVALID_TOPIC',
    );
    expect((await mallory.request('presence', { topic: STAFF })).data.code).toBe(
      'DWS_ERR_FORBIDDEN',
    );
    expect((await mallory.request('subscribe', { topic: LOBBY })).event).toBe('ack');

    const sam = await as('sam', true);
    expect((await sam.request('subscribe', { topic: STAFF })).event).toBe('ack');
    await staffTraffic(sam, 'live', 3);

    await mallory.until(() => mallory.messages(LOBBY).length === 1);
    expect(staffFrames(mallory)).toEqual([]);
    expect(mallory.messages().map((m) => m.payload.text)).toEqual(['live after']);
    // The traffic happened: staff saw all of it.
    expect(sam.messages(STAFF).map((m) => m.payload.text)).toEqual([
      'live secret 1',
      'live secret 2',
      'live secret 3',
    ]);
    expect(presenceOf(sam, STAFF).filter((p) => p.endsWith('tina-live'))).toEqual([
      'join tina-live',
      'leave tina-live',
    ]);
    mallory.close();
    sam.close();
  });

  it('refuses the same patterns when a resume restores them, keeping the allowed ones', async () => {
    const first = await as('mallory');
    expect((await first.request('subscribe', { topic: LOBBY })).event).toBe('ack');
    const token = first.welcome.data.sessionToken;
    const positions = first.positions();
    first.close();
    await first.waitClosed();

    const mallory = await as('mallory');
    const ack = await mallory.request('resume', {
      token,
      topics: ['chat/rooms/+', LOBBY, 'chat/#'],
      positions,
    });
    expect(ack.event).toBe('ack');
    expect(ack.data.topics).toEqual([LOBBY]);
    expect(ack.data.rejected).toEqual([
      { topic: 'chat/rooms/+', ...refusal('chat/rooms/+') },
      { topic: 'chat/#', ...refusal('chat/#') },
    ]);

    const sam = await as('sam', true);
    expect((await sam.request('subscribe', { topic: STAFF })).event).toBe('ack');
    await staffTraffic(sam, 'resumed', 2);
    await mallory.until(() => mallory.messages(LOBBY).length === 1);
    expect(staffFrames(mallory)).toEqual([]);
    expect(mallory.messages().map((m) => m.payload.text)).toEqual(['resumed after']);
    expect(sam.messages(STAFF)).toHaveLength(2);
    mallory.close();
    sam.close();
  });
});

type Member = { userId: string; staff: boolean };

/** What each call of the hook was told. */
const told: { user: string; topic: string; params: object; openParams: readonly string[] }[] = [];

/** The sample's room topic, opted in: the hook lets staff follow every room. */
@WebSocketGateway({ path: '/ws' })
@Topic('chat/rooms/{roomId}', {
  clientsMayPublish: true,
  presence: { joinLeave: true },
  wildcards: true,
})
@Topic('chat/announcements')
class OptedInChatGateway {
  @OnSubscribe('chat/rooms/{roomId}')
  canRead(context: SubscribeContext<{ roomId: string }, Member | null>): boolean {
    const { topic, params, openParams } = context;
    told.push({ user: context.principal?.userId ?? 'guest', topic, params, openParams });
    if (context.principal?.staff) return true;
    return openParams.length === 0 && params.roomId !== 'staff';
  }
}

/** `Bearer sam:staff` is staff member sam; `Bearer mallory` is user mallory. */
const authenticate = (_request: IncomingMessage, token: string | null): Member | null => {
  if (!token) return null;
  const [userId, role] = token.split(':');
  return { userId, staff: role === 'staff' };
};

describe('wildcards: true hands patterns to the hook, with the open parameters', () => {
  let gateway: TestingGateway;
  const as = (token: string) =>
    WsTestClient.connect(gateway.url, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    gateway = await createTestingGateway({
      imports: [DistributedWsModule.forRoot({ authenticate })],
      providers: [OptedInChatGateway],
    });
  });
  afterAll(() => gateway?.close());

  it('tells the hook which parameters are open; it denies mallory and lets staff follow every room', async () => {
    const [mallory, sam, tina] = [
      await as('mallory'),
      await as('sam:staff'),
      await as('tina:staff'),
    ];
    for (const pattern of ['chat/rooms/+', 'chat/#']) {
      expect((await mallory.request('subscribe', { topic: pattern })).data).toEqual({
        code: 'DWS_ERR_FORBIDDEN',
        message: `Subscription to "${pattern}" was denied.`,
      });
    }
    expect((await mallory.request('subscribe', { topic: LOBBY })).event).toBe('ack');
    expect((await sam.request('subscribe', { topic: 'chat/rooms/+' })).data).toEqual({
      topic: 'chat/rooms/+',
      subscribed: true,
      alreadySubscribed: false,
    });
    expect(told).toEqual([
      { user: 'mallory', topic: 'chat/rooms/+', params: {}, openParams: ['roomId'] },
      { user: 'mallory', topic: 'chat/#', params: {}, openParams: ['roomId'] },
      { user: 'mallory', topic: LOBBY, params: { roomId: 'lobby' }, openParams: [] },
      { user: 'sam', topic: 'chat/rooms/+', params: {}, openParams: ['roomId'] },
    ]);

    // What the allowed pattern receives: the staff room too, messages and joins.
    await tina.request('subscribe', { topic: STAFF });
    await tina.request('publish', { topic: STAFF, payload: { text: 'for staff' } });
    await sam.until(() => sam.messages(STAFF).length === 1);
    expect(sam.messages(STAFF)[0].payload).toEqual({ text: 'for staff' });
    await sam.until(() => presenceOf(sam, STAFF).length === 1);
    expect(presenceOf(sam, STAFF)).toEqual(['join tina']);
    expect(staffFrames(mallory)).toEqual([]);
    for (const client of [mallory, sam, tina]) client.close();
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import { Broadcaster, type DistributedWsOptions } from '../../lib/index.js';
import { expectBystanderUnaffected as expectUnaffected } from '../support/bystander.js';
import { heapAfterGc } from '../support/heap.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';
import type { WsTestClient } from '../support/ws-test-client.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';
import { Gate, SlowGateway } from './fixtures/slow.gateway.js';

const MB = 1024 * 1024;

/** Issue 17, items 1–3: what one client can make the server hold, and what it gets at the limit. */
describe('security: what a client can make the server hold', () => {
  let app: TestApp | null = null;
  const start = async (options: DistributedWsOptions = {}) => {
    app = await startTestApp(options, { providers: [FixtureGateway, SlowGateway, Gate] });
    return app;
  };
  const registry = () => app!.app.get(ConnectionRegistry);

  /** `n` sessions subscribed to `topic`, left: what each would resume with. */
  const leftSessions = async (n: number, topic: string) => {
    const sessions: { token: string; positions: string[] }[] = [];
    for (let i = 0; i < n; i++) {
      const client = await app!.connect();
      await client.request('subscribe', { topic });
      sessions.push({ token: client.welcome.data.sessionToken, positions: client.positions() });
      client.close();
    }
    return sessions;
  };

  afterEach(async () => {
    app?.app.get(Gate).open();
    await app?.close();
    app = null;
  });

  it('closes with 4005 the frame whose weight would pass maxPendingBytes (1 MiB) behind a slow handler, and lets go of the rest', async () => {
    await start({ rateLimit: false });
    const gate = app!.app.get(Gate);
    const bystander = await app!.connect();
    const heapBefore = heapAfterGc();
    const attacker = await app!.connect();
    // Each frame is 60,000 bytes with 2 objects, a gateway event: it weighs 60,000 + 2 × 64 +
    // 9,216 = 69,344 bytes, so 15 fit in 1,048,576 and the 16th does not.
    const frame = (id: number) => {
      const base = JSON.stringify({ event: 'slow', id, data: { pad: '' } });
      return JSON.stringify({ event: 'slow', id, data: { pad: 'x'.repeat(60_000 - base.length) } });
    };
    expect(Buffer.byteLength(frame(10))).toBe(60_000);
    for (let i = 10; i < 160; i++) attacker.sendRaw(frame(i));
    expect(await attacker.waitClosed()).toEqual({
      code: 4005,
      reason: 'too many frames waiting: wait for answers before sending more',
    });
    expect(gate.reached).toBe(15);
    await waitFor(() => registry().size === 1, { message: 'the attacker unregistered' });
    gate.open();
    await expectUnaffected(bystander, 'after the backlog');
    // 150 frames of 60 KB reached the server; what it keeps afterwards is what it had before.
    await waitFor(() => heapAfterGc() - heapBefore < 4 * MB, {
      interval: 250,
      message: 'the heap back near its baseline',
    });
  });

  it('closes with 4005 the 65th frame waiting for its answer (maxPendingFrames 64)', async () => {
    await start({ rateLimit: false });
    const gate = app!.app.get(Gate);
    const attacker = await app!.connect();
    for (let i = 0; i < 400; i++) attacker.sendRaw(JSON.stringify({ event: 'slow', id: i }));
    expect((await attacker.waitClosed()).code).toBe(4005);
    expect(gate.reached).toBe(64);
    gate.open();
    // Answers to what was admitted are not sent to a closed socket; nothing else comes.
    expect(attacker.frames.filter((f) => f.event === 'ack')).toEqual([]);
  });

  it('weighs a frame by what it holds once parsed: 1,024 bytes of [{},{},…] behind a slow handler weigh 31,232 each', async () => {
    await start({ rateLimit: false });
    const gate = app!.app.get(Gate);
    const attacker = await app!.connect();
    // 1,024 bytes, 328 objects and arrays in all: 1,024 + 328 × 64 + 9,216 = 31,232 bytes each,
    // so 33 fit in 1,048,576 and the 34th does not (plain text of the same size: 64 would).
    const pad = Array(325).fill('{}').join(',');
    const frame = (id: number) => {
      const text = JSON.stringify({ event: 'slow', id, data: { pad: [pad] } }).replace(
        `["${pad}"]`,
        `[${pad}]`,
      );
      return text + ' '.repeat(1024 - text.length);
    };
    expect(Buffer.byteLength(frame(10))).toBe(1024);
    for (let i = 10; i < 110; i++) attacker.sendRaw(frame(i));
    expect((await attacker.waitClosed()).code).toBe(4005);
    expect(gate.reached).toBe(33);
  });

  it('refuses presence info of more than 32 objects and arrays (kept parsed, they would cost 20× their bytes)', async () => {
    await start();
    const client = await app!.connect();
    const accepted = await client.request('subscribe', {
      topic: 'lobby/1',
      info: Array.from({ length: 31 }, () => ({})),
    });
    expect(accepted.event).toBe('ack');
    const refused = await client.request('subscribe', {
      topic: 'lobby/2',
      info: Array.from({ length: 32 }, () => ({})),
    });
    expect(refused.data).toEqual({
      code: 'DWS_ERR_BAD_REQUEST',
      message: 'Presence info may hold at most 32 objects and arrays.',
    });
    const answer = await client.request('presence', { topic: 'lobby/2' });
    expect(answer.data.members).toEqual([]);
  });

  it('drops reserved frames still queued when the socket closes, and never registers a closed resume', async () => {
    await start();
    const gate = app!.app.get(Gate);
    const broadcaster = app!.app.get(Broadcaster);
    const bystander = await app!.connect();
    const sessions = await leftSessions(50, 'chat/rooms/1');
    await waitFor(() => registry().size === 1);
    // 25 resumes that wait in their subscribe hook (resuming: true) when their socket closes,
    // and 25 that wait in the queue behind a subscribe stuck in the same hook.
    const clients: WsTestClient[] = [];
    for (let i = 0; i < 50; i++) {
      const client = await app!.connect();
      clients.push(client);
      if (i % 2 === 1)
        client.sendRaw(JSON.stringify({ event: 'subscribe', data: { topic: 'slow/q' } }));
      client.sendRaw(
        JSON.stringify({
          event: 'resume',
          id: 'resume',
          data: { ...sessions[i], topics: ['chat/rooms/1', 'slow/1'] },
        }),
      );
    }
    await waitFor(() => gate.reached === 50, { message: 'every hook reached' });
    clients.forEach((c) => c.close());
    await waitFor(() => registry().size === 1, { message: 'the 50 closed sockets unregistered' });
    gate.open();
    // Let every queued resume run (or be dropped), then count again: still the bystander alone.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(registry().size).toBe(1);
    expect([...registry().values()].map((c) => c.id)).toEqual([
      bystander.welcome.data.connectionId,
    ]);
    await broadcaster.publish('chat/rooms/1', { text: 'after' });
    await expectUnaffected(bystander, 'after the resumes');
  });

  it('answers a resume from a position beyond the log at once: recovered false, reason positions', async () => {
    await start();
    const broadcaster = app!.app.get(Broadcaster);
    const first = await app!.connect();
    await first.request('subscribe', { topic: 'chat/rooms/1' });
    await broadcaster.publish('chat/rooms/1', { text: 'one' });
    await first.next((f) => f.event === 'message');
    const positions = first.positions().map((p) => {
      const [shard, epoch] = p.split(':');
      return `${shard}:${epoch}:9999999999999-0`;
    });
    const second = await app!.connect();
    const started = Date.now();
    const ack = await second.request('resume', {
      token: first.welcome.data.sessionToken,
      topics: ['chat/rooms/1'],
      positions,
    });
    const elapsed = Date.now() - started;
    expect(ack.data).toMatchObject({ recovered: false, reason: 'positions', replayed: 0 });
    // It used to wait 3 s for a reader that could never get there (the bound leaves a loaded
    // machine room, and still rules that wait out).
    expect(elapsed).toBeLessThan(2500);
    await broadcaster.publish('chat/rooms/1', { text: 'live' });
    expect((await second.next((f) => f.event === 'message')).data.payload).toEqual({
      text: 'live',
    });
  });

  it('streams a replay bigger than it holds (3,000 × 1 KB), exact and in order, one resume at a time', async () => {
    await start({ maxConcurrentReplays: 1 });
    const broadcaster = app!.app.get(Broadcaster);
    const sessions = await leftSessions(2, 'news/+');
    const pad = 'p'.repeat(1000);
    for (let i = 0; i < 3000; i++) await broadcaster.publish(`news/s${i % 3}`, { i, pad });
    const resumed = await Promise.all(
      sessions.map(async (session) => {
        const client = await app!.connect();
        client.sendRaw(
          JSON.stringify({
            event: 'resume',
            id: 'r',
            data: { ...session, topics: ['news/+'] },
          }),
        );
        return client;
      }),
    );
    // Two sessions, one replay slot: the second waits its turn, then is just as exact.
    for (const client of resumed) {
      await client.next((f) => f.event === 'positions', 20_000);
      const ack = client.frames.find((f) => f.id === 'r')!;
      expect(ack.data).toMatchObject({ recovered: true, replayed: 3000 });
      expect(client.messages()).toHaveLength(3000);
      for (const section of ['news/s0', 'news/s1', 'news/s2']) {
        const order = client.messages(section).map((m) => m.payload.i);
        expect(order).toEqual(
          Array.from({ length: 1000 }, (_, k) => k * 3 + Number(section.at(-1))),
        );
      }
    }
  }, 30_000);

  it('closes a client that stops reading its replay after replayDrainTimeoutMs with 4001, freeing what the replay held', async () => {
    await start({ replayDrainTimeoutMs: 1000 });
    const broadcaster = app!.app.get(Broadcaster);
    const bystander = await app!.connect();
    const sessions = await leftSessions(20, 'news/+');
    const pad = 'q'.repeat(1000);
    for (let i = 0; i < 9900; i++) await broadcaster.publish(`news/s${i % 4}`, { i, pad });
    await waitFor(() => registry().size === 1);
    const heapBefore = heapAfterGc();

    const readers: WsTestClient[] = [];
    for (let i = 0; i < 20; i++) {
      const client = await app!.connect();
      readers.push(client);
      // Stops reading: the kernel buffers fill, then the server's.
      (client.ws as unknown as { pause(): void }).pause();
      client.sendRaw(
        JSON.stringify({
          event: 'resume',
          id: 'r',
          data: { ...sessions[i], topics: ['news/+'] },
        }),
      );
    }
    await waitFor(() => registry().size === 1, {
      timeout: 15_000,
      message: 'the 20 stalled replays closed',
    });
    await expectUnaffected(bystander, 'during the stalled replays');
    await waitFor(() => heapAfterGc() - heapBefore < 8 * MB, {
      interval: 250,
      message: 'the heap back near its baseline',
    });
  }, 40_000);

  it('charges every client frame to one budget: gateway events, then 4002 after closeAfter refusals', async () => {
    await start({ rateLimit: { perSecond: 1, burst: 20, closeAfter: 10 } });
    const bystander = await app!.connect();
    const attacker = await app!.connect();
    for (let i = 0; i < 40; i++) {
      attacker.sendRaw(JSON.stringify({ event: 'echo', id: i, data: { say: `s${i}` } }));
    }
    expect(await attacker.waitClosed()).toEqual({ code: 4002, reason: 'rate limit exceeded' });
    const acks = attacker.frames.filter((f) => f.event === 'ack');
    const errors = attacker.frames.filter((f) => f.event === 'error');
    expect(acks.map((f) => f.id)).toEqual(Array.from({ length: 20 }, (_, k) => k));
    expect(errors.map((f) => [f.id, f.data.code])).toEqual(
      Array.from({ length: 10 }, (_, k) => [k + 20, 'DWS_ERR_RATE_LIMITED']),
    );
    await expectUnaffected(bystander, 'own budget');
  });

  it('charges a presence request 5 and a subscribe 1 by default costs', async () => {
    await start({ rateLimit: { perSecond: 1, burst: 20, closeAfter: 100 } });
    const client = await app!.connect();
    await client.request('subscribe', { topic: 'lobby/1' });
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await client.request('presence', { topic: 'lobby/1' }));
    // 20 - 1 - 3 × 5 = 4 tokens left (plus what a second refills): a fourth request is refused.
    expect(answers.map((a) => a.event)).toEqual(['ack', 'ack', 'ack', 'error']);
    expect(answers[3].data).toMatchObject({ code: 'DWS_ERR_RATE_LIMITED' });
    expect(answers[3].data.retryAfterMs).toBeGreaterThan(0);
    expect(answers[3].data.retryAfterMs).toBeLessThanOrEqual(1000);
    expect((await client.request('unsubscribe', { topic: 'lobby/1' })).event).toBe('ack');
  });

  it('stops a subscribe/unsubscribe loop on a presence topic at the rate limit (4002)', async () => {
    await start();
    const victim = await app!.connect();
    await victim.request('subscribe', { topic: 'lobby/1' });
    const attacker = await app!.connect();
    // In batches of 20 frames, each batch answered before the next: never a backlog (that would
    // be closed with 4005), only the rate.
    let id = 0;
    while (attacker.closed === null && id < 2000) {
      for (let k = 0; k < 10; k++) {
        attacker.sendRaw(
          JSON.stringify({ event: 'subscribe', id: id++, data: { topic: 'lobby/1' } }),
        );
        attacker.sendRaw(
          JSON.stringify({ event: 'unsubscribe', id: id++, data: { topic: 'lobby/1' } }),
        );
      }
      const last = id - 1;
      await attacker.until(
        () => attacker.closed !== null || attacker.frames.some((f) => f.id === last),
        5000,
      );
    }
    expect(await attacker.waitClosed()).toEqual({ code: 4002, reason: 'rate limit exceeded' });
    // The burst, and what refilled between batches, was served; the last 50 frames answered (by
    // id: a refusal is sent on arrival, an ack once its turn came) were refused in a row.
    const answered = attacker.frames
      .filter((f) => f.event === 'ack' || f.event === 'error')
      .sort((a, b) => (a.id as number) - (b.id as number));
    expect(answered.filter((f) => f.event === 'ack').length).toBeGreaterThanOrEqual(200);
    expect(answered.slice(-50).map((f) => f.data.code)).toEqual(
      Array(50).fill('DWS_ERR_RATE_LIMITED'),
    );
    // The burst (200 frames) at most, whatever presence makes of it; then nothing more.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const presenceFrames = victim.frames.filter((f) => f.event === 'presence').length;
    expect(presenceFrames).toBeLessThanOrEqual(202);
    await expectUnaffected(victim, 'after the loop');
  });
});

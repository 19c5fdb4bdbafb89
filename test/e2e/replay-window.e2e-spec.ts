import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type InstanceProcess, startInstance } from '../support/app-process.js';
import { redisCli } from '../support/redis-cli.js';
import { type RedisInstances, startRedisInstances } from '../support/redis-instances.js';
import { WsTestClient } from '../support/ws-test-client.js';

const SECRET = 'replay-window-secret-0123456789abcdef';

/**
 * The replay window (issue 18): every instance keeps what its reader delivered, so a resume inside
 * that window reads nothing from Redis; older positions read Redis, and identical ranges of
 * concurrent resumes are read once. Counted with INFO commandstats, like resume-multi-instance.
 */
describe('replay window (Redis)', () => {
  let fleet: RedisInstances;
  /** Keeps 1 byte: every position is older than its window, so its resumes read Redis. */
  let forgetful: InstanceProcess;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    fleet = await startRedisInstances(2, { DWS_SESSION_SECRET: SECRET });
    forgetful = await startInstance({
      ...fleet.env,
      DWS_OPTIONS: JSON.stringify({ replayCacheBytes: 1 }),
    });
  }, 30_000);
  afterEach(() => {
    clients.splice(0).forEach((c) => c.close());
  });
  afterAll(async () => {
    await forgetful?.kill('SIGTERM');
    await fleet?.stop();
  });

  const xranges = async () =>
    Number(
      /cmdstat_xrange:calls=(\d+)/.exec(
        await redisCli(fleet.redis.port, ['INFO', 'commandstats']),
      )?.[1] ?? 0,
    );

  /** A session subscribed to `topic` on the first instance, gone once it has `expected` messages. */
  async function leave(topic: string, expected = 0) {
    const client = await WsTestClient.connect(fleet.instances[0].url());
    clients.push(client);
    await client.request('subscribe', { topic });
    await client.until(() => client.messages(topic).length === expected, 5000, `${expected}`);
    return client;
  }

  async function away(client: WsTestClient) {
    client.close();
    await client.waitClosed();
    return {
      token: client.welcome.data.sessionToken as string,
      sessionId: client.welcome.data.connectionId as string,
      positions: client.positions(),
    };
  }

  async function resume(url: string, session: Awaited<ReturnType<typeof away>>, topic: string) {
    const client = await WsTestClient.connect(url);
    clients.push(client);
    const ack = await client.request('resume', {
      token: session.token,
      topics: [topic],
      positions: session.positions,
    });
    return { client, ack };
  }

  const seqs = (client: WsTestClient, topic: string) =>
    client.messages(topic).map((m) => m.payload.seq);

  it('answers a resume inside the window with no Redis read, every message once and in order', async () => {
    const session = await away(await leave('orders/101/status'));
    // Other topics' traffic on every shard while the session is away.
    for (let n = 0; n < 32; n++) {
      await fleet.instances[0].control('publish', { topic: `news/noise${n}`, payload: { n } });
    }
    await fleet.instances[0].control('publish-many', {
      topic: 'orders/101/status',
      count: 40,
      from: 'A',
    });
    const before = await xranges();
    const { client, ack } = await resume(fleet.instances[1].url(), session, 'orders/101/status');
    expect(ack.data).toMatchObject({
      recovered: true,
      connectionId: session.sessionId,
      replayed: 40,
    });
    await client.until(
      () => client.messages('orders/101/status').length === 40,
      5000,
      '40 replayed',
    );
    expect(seqs(client, 'orders/101/status')).toEqual(Array.from({ length: 40 }, (_, k) => k));
    expect((await xranges()) - before).toBe(0);
  }, 30_000);

  it('reads Redis for a resume older than the window, and is still exact', async () => {
    const session = await away(await leave('orders/102/status'));
    await fleet.instances[0].control('publish-many', {
      topic: 'orders/102/status',
      count: 25,
      from: 'A',
    });
    const before = await xranges();
    const { client, ack } = await resume(forgetful.url(), session, 'orders/102/status');
    expect(ack.data).toMatchObject({
      recovered: true,
      connectionId: session.sessionId,
      replayed: 25,
    });
    await client.until(
      () => client.messages('orders/102/status').length === 25,
      5000,
      '25 replayed',
    );
    expect(seqs(client, 'orders/102/status')).toEqual(Array.from({ length: 25 }, (_, k) => k));
    // Only the topic's shard has entries after the session's position.
    expect((await xranges()) - before).toBe(1);
  }, 30_000);

  it('reads a range that concurrent resumes share once', async () => {
    const SESSIONS = 10;
    // The same topic, the same messages: the same position on its shard.
    const leaving = await Promise.all(
      Array.from({ length: SESSIONS }, () => leave('orders/103/status')),
    );
    const sessions = await Promise.all(leaving.map(away));
    await fleet.instances[0].control('publish-many', {
      topic: 'orders/103/status',
      count: 12,
      from: 'A',
    });
    const sockets = await Promise.all(sessions.map(() => WsTestClient.connect(forgetful.url())));
    clients.push(...sockets);
    const before = await xranges();
    // Writes (the session claims) wait in Redis until every resume was sent: they go on together.
    await redisCli(fleet.redis.port, ['CLIENT', 'PAUSE', '300', 'WRITE']);
    const acks = await Promise.all(
      sockets.map((socket, i) =>
        socket.request('resume', {
          token: sessions[i].token,
          topics: ['orders/103/status'],
          positions: sessions[i].positions,
        }),
      ),
    );
    for (const [i, ack] of acks.entries()) {
      expect(ack.data).toMatchObject({
        recovered: true,
        connectionId: sessions[i].sessionId,
        replayed: 12,
      });
    }
    for (const socket of sockets) {
      await socket.until(
        () => socket.messages('orders/103/status').length === 12,
        5000,
        '12 replayed',
      );
      expect(seqs(socket, 'orders/103/status')).toEqual(Array.from({ length: 12 }, (_, k) => k));
    }
    expect((await xranges()) - before).toBe(1);
  }, 30_000);
});

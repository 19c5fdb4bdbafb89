import { afterEach, describe, expect, it } from '@jest/globals';
import { shardOfTopic } from '../../lib/protocol/offset.js';
import { type InstanceProcess, startInstance } from '../support/app-process.js';
import { redisCli } from '../support/redis-cli.js';
import { useFailoverFleet } from '../support/redis-instances.js';
import { WsTestClient } from '../support/ws-test-client.js';

const SECRET = 'resume-test-secret-0123456789abcdef';
const TOTAL = 1000;

/**
 * A raw `ws` client resumes by hand (docs/protocol.md) on another instance after its instance
 * died, while a publisher on a third instance keeps sending at a steady rate.
 */
describe('resume on another instance (Redis)', () => {
  const fleet = useFailoverFleet({ DWS_SESSION_SECRET: SECRET });
  const clients: WsTestClient[] = [];
  const instances: InstanceProcess[] = [];
  /** XRANGE calls Redis has served so far: what the replays read. */
  const xranges = async () =>
    Number(
      /cmdstat_xrange:calls=(\d+)/.exec(
        await redisCli(fleet.cluster.redis.port, ['INFO', 'commandstats']),
      )?.[1] ?? 0,
    );
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await Promise.all(instances.splice(0).map((instance) => instance.kill('SIGKILL')));
  });

  async function scenario(signal: NodeJS.Signals, pattern: string, topics: string[]) {
    const victim = await fleet.startVictim();
    const first = await WsTestClient.connect(victim.url());
    clients.push(first);
    await first.request('subscribe', { topic: pattern });
    const perTopic = TOTAL / topics.length;
    const publishing = Promise.all(
      topics.map((topic) =>
        fleet.publisher.control('publish-many', {
          topic,
          count: perTopic,
          from: 'A',
          intervalMs: 3,
        }),
      ),
    );
    await first.until(() => first.messages().length >= 200, 20_000, '200 messages before the kill');
    await victim.kill(signal);
    const closed = await first.waitClosed();
    const sessionId = first.welcome.data.connectionId;
    await fleet.publisher.control('send', { ids: [sessionId], payload: { whileAway: true } });

    const second = await WsTestClient.connect(fleet.spare.url());
    clients.push(second);
    const ack = await second.request('resume', {
      token: first.welcome.data.sessionToken,
      topics: [pattern],
      positions: first.positions(),
    });
    expect(ack.data).toMatchObject({
      recovered: true,
      connectionId: sessionId,
      topics: [pattern],
      rejected: [],
    });
    await publishing;
    const all = () => [...first.messages(), ...second.messages()];
    await second.until(
      () => all().filter((m) => !m.topic.startsWith('$')).length >= TOTAL,
      30_000,
      `${TOTAL} messages`,
    );
    const received = all().filter((m) => !m.topic.startsWith('$'));
    expect(received).toHaveLength(TOTAL);
    for (const topic of topics) {
      expect(received.filter((m) => m.topic === topic).map((m) => m.payload.seq)).toEqual(
        Array.from({ length: perTopic }, (_, k) => k),
      );
    }
    expect(second.messages(`$dws/conn/${sessionId}`).map((m) => m.payload)).toEqual([
      { whileAway: true },
    ]);
    return closed;
  }

  it('after SIGKILL of its instance: all 1000, once, in order, plus the direct message sent meanwhile', async () => {
    const closed = await scenario('SIGKILL', 'orders/7/status', ['orders/7/status']);
    expect(closed.code).toBe(1006);
  }, 60_000);

  it('after SIGTERM: the client is told 1012 and resumes elsewhere with everything', async () => {
    const closed = await scenario('SIGTERM', 'orders/7/status', ['orders/7/status']);
    expect(closed).toEqual({ code: 1012, reason: 'server restarting: reconnect and resume' });
  }, 60_000);

  it('with a wildcard subscription spanning several shards', async () => {
    const topics = ['1', '2', '3', '4', '5', '6', '7', '8'].map((n) => `orders/${n}/status`);
    const closed = await scenario('SIGKILL', 'orders/+/status', topics);
    expect(closed.code).toBe(1006);
  }, 60_000);

  it('reads only the shards that can hold the topics of a session without wildcards', async () => {
    // Without a replay window: this resume must read Redis (replay-window.e2e-spec.ts has the window).
    const reader = await startInstance({
      ...fleet.cluster.env,
      DWS_OPTIONS: JSON.stringify({ replayCacheBytes: 0 }),
    });
    instances.push(reader);
    const first = await WsTestClient.connect(reader.url());
    clients.push(first);
    await first.request('subscribe', { topic: 'orders/7/status' });
    const sessionId = first.welcome.data.connectionId;
    const positions = first.positions();
    first.close();
    await first.waitClosed();
    // Other topics' traffic on every one of the 16 shards, and 3 messages the session missed.
    const others = Array.from({ length: 64 }, (_, n) => `load/${n}`);
    expect(new Set(others.map((topic) => shardOfTopic(topic, 16))).size).toBe(16);
    for (const topic of others)
      await fleet.publisher.control('publish', { topic, payload: { topic } });
    await fleet.publisher.control('publish-many', {
      topic: 'orders/7/status',
      count: 3,
      from: 'A',
    });

    const before = await xranges();
    const second = await WsTestClient.connect(reader.url());
    clients.push(second);
    const ack = await second.request('resume', {
      token: first.welcome.data.sessionToken,
      topics: ['orders/7/status'],
      positions,
    });
    expect(ack.data).toMatchObject({ recovered: true, connectionId: sessionId, replayed: 3 });
    await second.until(() => second.messages('orders/7/status').length === 3, 5_000, '3 replayed');
    expect(second.messages('orders/7/status').map((m) => m.payload)).toEqual([
      { seq: 0, from: 'A' },
      { seq: 1, from: 'A' },
      { seq: 2, from: 'A' },
    ]);
    // The topic's shard, its connection topic's and the broadcast topic's: not all 16.
    const needed = new Set(
      ['orders/7/status', `$dws/conn/${sessionId}`, '$dws/broadcast'].map((topic) =>
        shardOfTopic(topic, 16),
      ),
    );
    expect((await xranges()) - before).toBe(needed.size);
  }, 30_000);

  it('answers a resume from positions beyond the log at once: one XRANGE per shard, no wait', async () => {
    const first = await WsTestClient.connect(fleet.spare.url());
    clients.push(first);
    await first.request('subscribe', { topic: 'orders/8/status' });
    first.close();
    await first.waitClosed();
    // The current epochs, with ids no instance ever handed out.
    const positions = first.positions().map((p) => p.replace(/:[^:]+$/, ':9999999999999-0'));
    const before = await xranges();
    const second = await WsTestClient.connect(fleet.spare.url());
    clients.push(second);
    const started = Date.now();
    const ack = await second.request('resume', {
      token: first.welcome.data.sessionToken,
      topics: ['orders/8/status'],
      positions,
    });
    // Not the 3 s a resume once waited for a reader that could never get there.
    expect(Date.now() - started).toBeLessThan(2500);
    expect(ack.data).toMatchObject({ recovered: false, reason: 'positions', replayed: 0 });
    expect((await xranges()) - before).toBe(16);
  }, 30_000);
});

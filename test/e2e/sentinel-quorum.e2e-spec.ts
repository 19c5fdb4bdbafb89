import { describe, expect, it } from '@jest/globals';
import { logOf } from '../support/stream-keys.js';
import { publishedPayloads } from '../support/app-process.js';
import { parseOffset } from '../../lib/protocol/offset.js';
import { redisCli, replicaCaughtUp } from '../support/redis-cli.js';
import type { RedisSentinel } from '../support/redis-sentinel.js';
import { useSentinelApp } from '../support/sentinel-app.js';
import { waitFor } from '../support/wait-for.js';

const SECRET = 'sentinel-quorum-secret-0123456789abcdef';
const idOf = (offset: string) => parseOffset(offset)!.id;

/** A field of `SENTINEL master mymaster` as `sentinel` reports it. */
async function masterField(sentinel: RedisSentinel, name: string): Promise<string> {
  const lines = (await redisCli(sentinel.port, ['SENTINEL', 'master', 'mymaster'])).split('\n');
  return lines[lines.indexOf(name) + 1];
}

/**
 * Issue 18, "Redis primary failover" with a Sentinel majority: a primary, one replica and three
 * Sentinels (quorum 2), real processes; the application runs in its own process on
 * `{ sentinels, name: 'mymaster' }` and is never restarted. The primary is SIGKILLed, with all
 * three Sentinels up, or after one of them was SIGKILLed (the two left are still a quorum and
 * a majority of the three, so they may authorize the failover).
 */
describe('Redis Sentinel failover with three Sentinels, quorum 2', () => {
  const fleet = useSentinelApp(SECRET);

  /**
   * Publishes `early` messages a session then leaves with, and `before` messages acked (and
   * replicated) before the primary dies; kills `killSentinel` Sentinels first, then the primary;
   * publishes `after` messages once the app reaches the promoted replica. Checks the live
   * subscriber's sequence and the resumed session's replay, both exact.
   */
  async function failover(killSentinel: boolean, options: Record<string, unknown>) {
    const started = Date.now();
    const group = await fleet.startGroup({ replicas: 1, sentinels: 3 });
    for (const sentinel of group.sentinels) {
      expect(await masterField(sentinel, 'quorum')).toBe('2');
      expect(await redisCli(sentinel.port, ['SENTINEL', 'ckquorum', 'mymaster'])).toBe(
        'OK 3 usable Sentinels. Quorum and failover authorization can be reached',
      );
    }
    const app = await fleet.startApp(options);
    const topic = 'orders/31/status';
    const live = await fleet.connect(topic);
    const away = await fleet.connect(topic);
    await app.control('publish-many', { topic, count: 5, from: 'early' });
    await away.until(() => away.messages(topic).length === 5);
    const positions = away.positions();
    away.close();
    const before = await app.control('publish-many', { topic, count: 20, from: 'before' });
    await live.until(() => live.messages(topic).length === 25);
    const [primary, replica] = group.nodes;
    const newestBefore = idOf(before.offsets.at(-1));
    await replicaCaughtUp(primary.port, replica.port);
    expect(
      await redisCli(replica.port, ['XRANGE', logOf(topic), newestBefore, newestBefore]),
    ).not.toBe('');

    // The first Sentinel is the one the app's ioredis asks first: it finds it gone on reconnect.
    let watching = group.sentinels;
    if (killSentinel) {
      await group.sentinels[0].stop();
      watching = group.sentinels.slice(1);
      for (const sentinel of watching) {
        await waitFor(
          async () =>
            (await redisCli(sentinel.port, ['SENTINEL', 'ckquorum', 'mymaster'])) ===
            'OK 2 usable Sentinels. Quorum and failover authorization can be reached',
          { timeout: 10_000, interval: 50, message: 'the Sentinels to count 2 usable' },
        );
      }
    }

    const killedAt = Date.now();
    await primary.kill('SIGKILL');
    await waitFor(
      async () => {
        const ports = await Promise.all(
          watching.map(async (s) => (await masterField(s, 'port')) === String(replica.port)),
        );
        return ports.every(Boolean);
      },
      { timeout: 20_000, interval: 50, message: 'every Sentinel left to report the promotion' },
    );
    const promotedAfterMs = Date.now() - killedAt;
    expect(await redisCli(replica.port, ['ROLE'])).toMatch(/^master/);
    // Every acked entry is on the promoted replica.
    const onPromoted = await redisCli(replica.port, ['XRANGE', logOf(topic), '-', '+']);
    for (const offset of before.offsets) expect(onPromoted).toContain(idOf(offset));

    // Once one publish (to a topic nobody reads) is acked, the app's publisher has reached the
    // new primary: each of the next ones must be acked at its first attempt, in order.
    await waitFor(() => app.control('publish', { topic: 'news/probe', payload: {} }), {
      timeout: 20_000,
      interval: 50,
      message: 'a publish to be acked by the promoted replica',
    });
    const servingAfterMs = Date.now() - killedAt;
    await app.control('publish-many', { topic, count: 10, from: 'after' });
    await live.until(() => live.messages(topic).length === 35, 10_000);
    expect(live.messages(topic).map((m) => m.payload)).toEqual([
      ...publishedPayloads('early', 5),
      ...publishedPayloads('before', 20),
      ...publishedPayloads('after', 10),
    ]);
    expect(live.closed).toBeNull();

    const resumed = await fleet.open();
    const ack = await resumed.resumeSessionOf(away, [topic], positions);
    expect(ack.data).toMatchObject({ recovered: true, replayed: 30 });
    await resumed.until(() => resumed.messages(topic).length === 30);
    expect(resumed.messages(topic).map((m) => m.payload)).toEqual([
      ...publishedPayloads('before', 20),
      ...publishedPayloads('after', 10),
    ]);
    process.stdout.write(
      `sentinel quorum 2 of 3${killSentinel ? ', one Sentinel killed' : ''}: promoted ` +
        `${promotedAfterMs} ms after the kill, publishes acked again ${servingAfterMs} ms, ` +
        `test ${Date.now() - started} ms\n`,
    );
  }

  it('promotes the replica after the primary is SIGKILLed: the live session misses nothing, a resume replays exactly', async () => {
    await failover(false, {});
  }, 60_000);

  it('still fails over with one of the three Sentinels SIGKILLed first; the resume reads the promoted replica', async () => {
    // No in-memory replay window: the replay can only come from the new primary's log.
    await failover(true, { replayCacheBytes: 0 });
  }, 60_000);
});

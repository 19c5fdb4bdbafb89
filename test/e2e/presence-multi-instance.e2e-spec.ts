import { describe, expect, it } from '@jest/globals';
import { anonymousMember as member, presenceFrames } from '../support/presence.js';
import { redisCli } from '../support/redis-cli.js';
import { useInstancePair } from '../support/redis-instances.js';
import { waitFor } from '../support/wait-for.js';
import type { WsTestClient } from '../support/ws-test-client.js';

const SECRET = 'presence-multi-instance-secret-0123456789';
// Short, so that the test waits seconds; every instance renews every third of it.
const TTL_MS = 2000;
const TOPIC = 'lobby/main';

const sorted = <T extends { connectionId: string }>(list: T[]) =>
  [...list].sort((x, y) => (x.connectionId < y.connectionId ? -1 : 1));

/** Two instances on one Redis, as separate processes; one of them is killed mid-way. */
describe('presence across two instances (Redis)', () => {
  const pair = useInstancePair({
    DWS_SESSION_SECRET: SECRET,
    DWS_OPTIONS: JSON.stringify({ presenceTtlMs: TTL_MS }),
  });

  it('shares members and joins/leaves, forgets a killed instance within the TTL, and keeps Redis bounded', async () => {
    const { cluster, a, b, open } = pair;
    const [onA, onB, watcherOnB, leaverOnB] = [
      await open(a),
      await open(b),
      await open(b),
      await open(b),
    ];
    await watcherOnB.request('subscribe', { topic: 'lobby/+' });
    await onA.request('subscribe', { topic: TOPIC, info: { name: 'on A' } });
    // B's reader has delivered A's join: onB's subscription starts after it.
    await watcherOnB.until(() => presenceFrames(watcherOnB).length === 1);
    await onB.request('subscribe', { topic: TOPIC, info: { name: 'on B' } });
    // A subscribe and its unsubscribe sent together fall in one window: no frame for either.
    await Promise.all([
      leaverOnB.request('subscribe', { topic: TOPIC }),
      leaverOnB.request('unsubscribe', { topic: TOPIC }),
    ]);

    const both = sorted([member(onA, { name: 'on A' }), member(onB, { name: 'on B' })]);
    expect((await onA.request('presence', { topic: TOPIC })).data).toEqual({
      topic: TOPIC,
      members: both,
    });
    expect((await onB.request('presence', { topic: TOPIC })).data.members).toEqual(both);
    expect(await a.control('presence', { topic: TOPIC })).toEqual({ members: both });
    expect(await b.control('presence', { topic: TOPIC })).toEqual({ members: both });

    const event = (action: string, client: WsTestClient, info: unknown = null) => ({
      topic: TOPIC,
      action,
      member: member(client, info),
    });
    const afterOnB = [event('join', onB, { name: 'on B' })];
    const all = [event('join', onA, { name: 'on A' }), ...afterOnB];
    for (const [client, expected] of [
      [onA, all],
      [watcherOnB, all],
      [onB, afterOnB],
    ] as const) {
      await client.until(() => presenceFrames(client).length === expected.length);
      expect(presenceFrames(client)).toEqual(expected);
    }

    // B dies without a word: its entries stay in Redis until its liveness key lapses.
    const killedAt = Date.now();
    await b.kill('SIGKILL');
    const onlyA = [member(onA, { name: 'on A' })];
    await waitFor(
      async () => (await a.control('presence', { topic: TOPIC })).members.length === 1,
      { timeout: 4 * TTL_MS, interval: 50, message: "B's member to leave A's answer" },
    );
    const goneAfter = Date.now() - killedAt;
    expect((await onA.request('presence', { topic: TOPIC })).data.members).toEqual(onlyA);
    expect(goneAfter).toBeLessThanOrEqual(TTL_MS + 1000);
    // A's sweep removes it and announces the leave, within a third of the TTL more.
    await onA.until(() => presenceFrames(onA).length === all.length + 1, 4 * TTL_MS);
    const leaveAfter = Date.now() - killedAt;
    expect(presenceFrames(onA).at(-1)).toEqual(event('leave', onB, { name: 'on B' }));
    expect(leaveAfter).toBeLessThanOrEqual((TTL_MS * 4) / 3 + 1000);

    // The client that was on B resumes on A with its info: it is back, under its session id.
    const resumed = await open(a);
    const ack = await resumed.request('resume', {
      token: onB.welcome.data.sessionToken,
      topics: [TOPIC],
      positions: onB.positions(),
      info: { [TOPIC]: { name: 'on B' } },
    });
    expect(ack.data).toMatchObject({ connectionId: member(onB).connectionId, rejected: [] });
    expect((await onA.request('presence', { topic: TOPIC })).data.members).toEqual(both);
    await onA.until(() => presenceFrames(onA).length === all.length + 2);
    expect(presenceFrames(onA).at(-1)).toEqual(event('join', onB, { name: 'on B' }));

    // Everyone leaves: what stays in Redis is A's liveness and the instance list, nothing of B.
    await resumed.request('unsubscribe', { topic: TOPIC });
    await onA.request('unsubscribe', { topic: TOPIC });
    const keys = (await redisCli(cluster.redis.port, ['--raw', 'KEYS', 'dws:presence:*']))
      .split('\n')
      .sort();
    const instances = await redisCli(cluster.redis.port, [
      '--raw',
      'SMEMBERS',
      'dws:presence:instances',
    ]);
    expect(instances.split('\n')).toHaveLength(1);
    expect(keys).toEqual([`dws:presence:instance:${instances}`, 'dws:presence:instances']);
  }, 60_000);
});

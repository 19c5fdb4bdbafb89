import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ownsTopic } from '../support/stream-keys.js';
import { type InstanceProcess, startInstance } from '../support/app-process.js';
import { redisCli } from '../support/redis-cli.js';
import { clusterOwners, type RedisCluster, startRedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait-for.js';
import { type Frame, WsTestClient } from '../support/ws-test-client.js';

const SECRET = 'cluster-replicas-secret-0123456789abcdef';
const REPLICAS_TIMEOUT_MS = 1000;
const NOT_REPLICATED =
  'The message could not be published: not replicated in time (0 of 1 replicas); it may still be delivered.';

/**
 * Issue 18, `publishReplicas` on a 3 + 3 Redis Cluster (real processes): WAIT is per
 * connection, so it must run on the connection to the master of the publish's shard. One
 * master's replica is stopped (SIGSTOP: it neither acknowledges nor drops its link): publishes to
 * that master's shard are refused as not replicated, those to the other masters' shards acked.
 */
describe('publishReplicas on Redis Cluster', () => {
  let cluster: RedisCluster;
  let app: InstanceProcess;
  const clients: WsTestClient[] = [];
  const stopped: number[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster(3, { replicas: 1 });
    app = await startInstance({
      BROKER_CLUSTER: cluster.seeds.map((s) => `${s.host}:${s.port}`).join(','),
      DWS_SESSION_SECRET: SECRET,
      DWS_OPTIONS: JSON.stringify({
        publishReplicas: 1,
        publishReplicasTimeoutMs: REPLICAS_TIMEOUT_MS,
      }),
    });
  }, 60_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    for (const pid of stopped.splice(0)) process.kill(pid, 'SIGCONT');
    await app?.kill('SIGKILL');
    await cluster?.stop();
  });

  it('refuses a publish to the shard of the master whose replica is stopped, acks the other masters', async () => {
    const owners = await clusterOwners(cluster, cluster.nodes[0]);
    expect(owners.map((o) => o.replicas.length)).toEqual([1, 1, 1]);
    const candidates = Array.from({ length: 64 }, (_, i) => `orders/${i}/status`);
    // One topic per master; the first master's replica is the one stopped.
    const topics = owners.map((owner) => candidates.find((t) => ownsTopic(owner, t))!);
    const [victimTopic, ...spareTopics] = topics;
    const victim = owners[0];
    const [replica] = victim.replicas;

    const subscriber = await WsTestClient.connect(app.url());
    const publisher = await WsTestClient.connect(app.url());
    clients.push(subscriber, publisher);
    for (const topic of topics) {
      expect((await subscriber.request('subscribe', { topic })).event).toBe('ack');
    }
    const publish = (topic: string, seq: number, from: string) =>
      publisher.request('publish', { topic, payload: { seq, from } }, 10_000);

    // Every replica up: each master's replica acknowledges, every publish is acked.
    for (const topic of topics) {
      expect(await publish(topic, 0, 'replicated')).toMatchObject({
        event: 'ack',
        data: { topic },
      });
    }

    process.kill(replica.pid, 'SIGSTOP');
    stopped.push(replica.pid);
    const started = Date.now();
    const settledAfterMs: Record<string, number> = {};
    const answers = await Promise.all(
      topics.map(async (topic, k) => {
        const answer = await publish(topic, 1, k === 0 ? 'unreplicated' : 'other master');
        settledAfterMs[topic] = Date.now() - started;
        return answer;
      }),
    );
    const [refused, ...acked] = answers;
    expect(refused).toMatchObject({
      event: 'error',
      data: { code: 'DWS_ERR_BROKER_UNAVAILABLE', message: NOT_REPLICATED },
    });
    expect(acked.map((a: Frame) => [a.event, a.data.topic])).toEqual(
      spareTopics.map((topic) => ['ack', topic]),
    );
    const refusedAfterMs = settledAfterMs[victimTopic];
    expect(refusedAfterMs).toBeGreaterThanOrEqual(REPLICAS_TIMEOUT_MS);
    expect(refusedAfterMs).toBeLessThan(REPLICAS_TIMEOUT_MS + 1500);
    // The other masters' publishes were not held behind the stalled WAIT.
    for (const topic of spareTopics) expect(settledAfterMs[topic]).toBeLessThan(refusedAfterMs);
    // Refused yet stored on the master: delivered, as the error says it may be.
    await subscriber.until(() => subscriber.messages(victimTopic).length === 2);

    // The replica back and caught up: its master's shard is acked again.
    process.kill(replica.pid, 'SIGCONT');
    stopped.pop();
    await waitFor(
      async () => {
        const info = await redisCli(victim.master.port, ['INFO', 'replication']);
        const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
        return new RegExp(`slave0:.*,state=online,offset=${offset},`).test(info);
      },
      { timeout: 10_000, interval: 50, message: 'the replica to acknowledge every write' },
    );
    expect(await publish(victimTopic, 2, 'replicated again')).toMatchObject({ event: 'ack' });
    await subscriber.until(() => subscriber.messages(victimTopic).length === 3);
    process.stdout.write(
      `cluster publishReplicas: refused after ${refusedAfterMs} ms, other masters acked after ` +
        `${spareTopics.map((t) => settledAfterMs[t]).join(', ')} ms\n`,
    );

    expect(subscriber.messages(victimTopic).map((m) => m.payload)).toEqual([
      { seq: 0, from: 'replicated' },
      { seq: 1, from: 'unreplicated' },
      { seq: 2, from: 'replicated again' },
    ]);
    for (const topic of spareTopics) {
      expect(subscriber.messages(topic).map((m) => m.payload)).toEqual([
        { seq: 0, from: 'replicated' },
        { seq: 1, from: 'other master' },
      ]);
    }
  }, 30_000);
});

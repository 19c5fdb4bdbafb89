import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { FRAME_OVERHEAD_BYTES } from '../../lib/adapter/resume/frame-cache.js';
import type { BrokerMessage } from '../../lib/broker/broker.interface.js';
import { entryBytes, TOPIC_BYTES } from '../../lib/broker/replay-window.js';
import { Broadcaster } from '../../lib/index.js';
import { shardOfTopic } from '../../lib/protocol/offset.js';
import { BROADCAST_TOPIC, connectionTopic } from '../../lib/topics/implicit-topics.js';
import type { InstanceProcess } from '../support/app-process.js';
import { type RedisInstances, startRedisInstances } from '../support/redis-instances.js';
import { startTestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';
import { WsTestClient } from '../support/ws-test-client.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

/** A delivered message as the broker stored it: its payload's JSON text and its stream id. */
function asStored(m: { topic: string; offset: string; payload: unknown }): BrokerMessage {
  const { topic, offset } = m;
  const id = offset.slice(offset.lastIndexOf(':') + 1);
  return {
    topic,
    offset,
    id,
    shard: Number(offset.split(':')[0]),
    payload: JSON.stringify(m.payload),
  };
}

const SECRET = 'metrics-e2e-secret-0123456789abcdef';
// No heartbeat during the test, so that `positions` frames are only those a resume sends.
const OPTIONS = JSON.stringify({ metrics: { serve: {} }, heartbeatIntervalMs: 600_000 });

/** Every sample of a Prometheus text exposition, by series (`name{labels}`). */
async function scrape(port: number, path = '/metrics'): Promise<Map<string, number>> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The samples of `name` whose value is not 0, as `{series: value}`. */
function nonZero(samples: Map<string, number>, name: string): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const [series, value] of samples) {
    if ((series === name || series.startsWith(`${name}{`)) && value !== 0) picked[series] = value;
  }
  return picked;
}

describe('metrics of two instances on one Redis', () => {
  let cluster: RedisInstances;
  let a: InstanceProcess;
  let b: InstanceProcess;
  let onA: WsTestClient[] = [];
  let onB: WsTestClient[] = [];

  beforeAll(async () => {
    cluster = await startRedisInstances(2, { DWS_SESSION_SECRET: SECRET, DWS_OPTIONS: OPTIONS });
    [a, b] = cluster.instances;
  }, 30_000);
  afterAll(async () => {
    [...onA, ...onB].forEach((c) => c.close());
    await cluster?.stop();
  });

  it('counts connections, subscriptions, frames, deliveries and latencies where they happen', async () => {
    onA = await Promise.all([0, 1, 2].map(() => WsTestClient.connect(a.url())));
    onB = await Promise.all([0, 1].map(() => WsTestClient.connect(b.url())));
    await Promise.all(onA.map((c) => c.request('subscribe', { topic: 'news/world' })));
    // Two patterns matching one topic: one delivery per message, not two.
    await onB[0].request('subscribe', { topic: 'news/world' });
    await onB[0].request('subscribe', { topic: 'news/#' });
    await onB[1].request('subscribe', { topic: 'orders/+/status' });

    const publishedAt = Date.now();
    await a.control('publish-many', { topic: 'news/world', count: 5, from: 'A' });
    await Promise.all(
      [...onA, onB[0]].map((c) => c.until(() => c.messages('news/world').length === 5)),
    );

    const fromA = await scrape(a.port);
    expect(fromA.get('dws_connections')).toBe(3);
    expect(fromA.get('dws_subscriptions')).toBe(3);
    expect(fromA.get('dws_broker_up{backplane="redis"}')).toBe(1);
    expect(nonZero(fromA, 'dws_frames_received_total')).toEqual({
      'dws_frames_received_total{kind="subscribe"}': 3,
    });
    expect(nonZero(fromA, 'dws_frames_sent_total')).toEqual({
      'dws_frames_sent_total{kind="welcome"}': 3,
      'dws_frames_sent_total{kind="ack"}': 3,
      'dws_frames_sent_total{kind="message"}': 15,
    });
    expect(fromA.get('dws_deliveries_total')).toBe(15);
    expect(fromA.get('dws_publish_duration_seconds_count{result="ok"}')).toBe(5);
    expect(fromA.get('dws_delivery_lag_seconds_count')).toBe(5);
    expect(nonZero(fromA, 'dws_errors_total')).toEqual({});

    const fromB = await scrape(b.port);
    expect(fromB.get('dws_connections')).toBe(2);
    expect(fromB.get('dws_subscriptions')).toBe(3);
    expect(nonZero(fromB, 'dws_frames_sent_total')).toEqual({
      'dws_frames_sent_total{kind="welcome"}': 2,
      'dws_frames_sent_total{kind="ack"}': 3,
      'dws_frames_sent_total{kind="message"}': 5,
    });
    expect(fromB.get('dws_deliveries_total')).toBe(5);
    // B published nothing, yet its reader delivered every message of the backplane.
    expect(fromB.get('dws_publish_duration_seconds_count{result="ok"}')).toBeUndefined();
    expect(fromB.get('dws_delivery_lag_seconds_count')).toBe(5);
    // In seconds, and no more than the time since the first publish (a ms/s mix-up would show).
    const elapsed = (Date.now() - publishedAt) / 1000;
    expect(fromB.get('dws_delivery_lag_seconds_sum')).toBeLessThanOrEqual(5 * elapsed);
    expect(fromB.get('dws_reader_lag_seconds')).toBeLessThanOrEqual(elapsed);
  }, 30_000);

  it('counts error frames by code on the instance that sent them', async () => {
    const client = onB[1];
    client.sendRaw('{not json');
    await client.next((f) => f.event === 'error' && f.data.code === 'DWS_ERR_BAD_JSON');
    await client.request('publish', { topic: '$dws/broadcast', payload: {} });
    await client.request('subscribe', { topic: 'nowhere/+' });
    await client.request('publish', { topic: 'news/world', payload: {} });

    expect(nonZero(await scrape(b.port), 'dws_errors_total')).toEqual({
      'dws_errors_total{code="DWS_ERR_BAD_JSON"}': 1,
      'dws_errors_total{code="DWS_ERR_RESERVED_TOPIC"}': 1,
      'dws_errors_total{code="DWS_ERR_UNKNOWN_TOPIC"}': 1,
      'dws_errors_total{code="DWS_ERR_PUBLISH_NOT_ALLOWED"}': 1,
    });
    const fromB = await scrape(b.port);
    expect(fromB.get('dws_frames_sent_total{kind="error"}')).toBe(4);
    expect(fromB.get('dws_frames_received_total{kind="invalid"}')).toBe(1);
    expect(fromB.get('dws_frames_received_total{kind="publish"}')).toBe(2);
    expect(nonZero(await scrape(a.port), 'dws_errors_total')).toEqual({});
  }, 30_000);

  it('counts resumes by result and the messages they replayed, where the client resumed', async () => {
    const away = onA[0];
    const positions = away.positions();
    away.close();
    await waitFor(async () => (await scrape(a.port)).get('dws_connections') === 2, {
      timeout: 10_000,
      message: 'A to see the connection go',
    });
    await b.control('publish-many', { topic: 'news/world', count: 2, from: 'B' });
    await onA[1].until(() => onA[1].messages('news/world').length === 7, 10_000);
    // B's reader keeps every message it delivers (before its fan-out) in its replay window.
    await onB[0].until(() => onB[0].messages('news/world').length === 7, 10_000);
    const beforeResume = await scrape(b.port);
    expect(beforeResume.get('dws_replay_window_entries')).toBe(7);
    // Each entry costs its strings and the objects around them, and their topic's list of the
    // index one more (replay-window.ts): all 7 on one topic, of one shard.
    const kept = onB[0].messages('news/world').map(asStored);
    expect(beforeResume.get('dws_replay_window_bytes')).toBe(
      kept.reduce((sum, m) => sum + entryBytes(m), 0) + TOPIC_BYTES,
    );

    const back = await WsTestClient.connect(b.url());
    const lost = await WsTestClient.connect(b.url());
    onB.push(back, lost);
    const recovered = await back.request(
      'resume',
      {
        token: away.welcome.data.sessionToken,
        topics: ['news/world'],
        positions,
      },
      10_000,
    );
    expect(recovered.data).toMatchObject({ recovered: true, replayed: 2 });
    const notRecovered = await lost.request('resume', {
      token: onA[2].welcome.data.sessionToken,
      topics: ['news/world'],
      positions: [],
    });
    expect(notRecovered.data).toMatchObject({ recovered: false, reason: 'positions' });

    const fromB = await scrape(b.port);
    expect(nonZero(fromB, 'dws_replays_total')).toEqual({
      'dws_replays_total{result="recovered"}': 1,
      'dws_replays_total{result="not_recovered",reason="positions"}': 1,
    });
    expect(fromB.get('dws_replayed_messages_total')).toBe(2);
    // The two replayed frames, built once and kept for the next resumes of the wave: one 64 KiB
    // block, and for each frame its view and map slot (180) and the message it keeps alive.
    const replayed = back.messages('news/world').map(asStored);
    expect(replayed).toHaveLength(2);
    expect(fromB.get('dws_replay_frames_bytes')).toBe(
      64 * 1024 + replayed.reduce((sum, m) => sum + FRAME_OVERHEAD_BYTES + entryBytes(m), 0),
    );
    expect(fromB.get('dws_frames_sent_total{kind="replay"}')).toBe(2);
    expect(fromB.get('dws_frames_received_total{kind="resume"}')).toBe(2);
    expect(fromB.get('dws_connections')).toBe(4);
    // The recovered resume read, in one round, the shards of its topic and of its implicit
    // topics: all inside B's window (B ran since before the first message). The other resume had
    // no positions and read nothing.
    const shards = new Set(
      ['news/world', BROADCAST_TOPIC, connectionTopic(away.welcome.data.connectionId)].map((t) =>
        shardOfTopic(t, 16),
      ),
    );
    expect(nonZero(fromB, 'dws_replay_ranges_total')).toEqual({
      'dws_replay_ranges_total{source="window"}': shards.size,
    });
    // At rest nothing waits; four upgrades (two earlier, two here), two claims, two answers.
    expect(nonZero(fromB, 'dws_admission_waiting')).toEqual({});
    expect(nonZero(fromB, 'dws_admission_admitted_total')).toEqual({
      'dws_admission_admitted_total{stage="upgrade"}': 4,
      'dws_admission_admitted_total{stage="claim"}': 2,
      'dws_admission_admitted_total{stage="answer"}': 2,
    });
    const fromA = await scrape(a.port);
    expect(nonZero(fromA, 'dws_replays_total')).toEqual({});
    expect(nonZero(fromA, 'dws_replay_ranges_total')).toEqual({});
    expect(nonZero(fromA, 'dws_admission_admitted_total')).toEqual({
      'dws_admission_admitted_total{stage="upgrade"}': 3,
    });
  }, 30_000);
});

describe('slow consumer metric', () => {
  it('counts a connection closed with 4001', async () => {
    const registry = new Registry();
    const app = await startTestApp(
      { maxBufferedBytes: 64 * 1024, metrics: { registry, serve: { path: '/internal/metrics' } } },
      { providers: [FixtureGateway] },
    );
    try {
      const slow = await app.connect();
      const idle = await app.connect();
      await slow.request('subscribe', { topic: 'news/bulk' });
      (slow.ws as any)._socket.pause();
      const broadcaster = app.app.get(Broadcaster);
      const blob = 'x'.repeat(32 * 1024);
      // The socket's kernel buffers fill first; then `ws` buffers, past 64 KiB the server closes.
      let published = 0;
      while (published < 2000) {
        await broadcaster.publish('news/bulk', { seq: published++, blob });
        if (published % 20 !== 0) continue;
        const samples = await scrape(app.port, '/internal/metrics');
        if (samples.get('dws_slow_consumer_closes_total') === 1) break;
      }
      expect(published).toBeLessThan(2000);
      (slow.ws as any)._socket.resume();
      expect(await slow.waitClosed(10_000)).toEqual({
        code: 4001,
        reason: 'slow consumer: resume to catch up',
      });
      const samples = await scrape(app.port, '/internal/metrics');
      expect(samples.get('dws_slow_consumer_closes_total')).toBe(1);
      expect(samples.get('dws_connections')).toBe(1);
      expect(idle.closed).toBeNull();
    } finally {
      await app.close();
    }
  }, 30_000);
});

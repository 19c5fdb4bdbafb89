import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { AdmissionQueue, Stage } from '../../../lib/adapter/admission-queue.js';
import type { ConnectionRegistry } from '../../../lib/adapter/connection-registry.js';
import type { Broker, BrokerHealth, BrokerMessage } from '../../../lib/broker/broker.interface.js';
import { PromMetrics } from '../../../lib/metrics/prom-metrics.js';
import { ReaderLag } from '../../../lib/metrics/reader-lag.js';

/** What the scrape reads, as plain fields the test moves. */
function sources() {
  const filters = [new Set(['a/b', 'c/#']), new Set<string>(), new Set(['x'])];
  const connections = {
    deliveries: 0,
    get size() {
      return filters.length;
    },
    values: () => filters.map((f) => ({ filters: f }))[Symbol.iterator](),
  };
  let health: BrokerHealth = { backplane: 'redis', up: true };
  const broker = { health: () => health } as unknown as Broker;
  const lag = new ReaderLag();
  const replayWindow = { size: { bytes: 0, entries: 0 } };
  const replayReads = { stats: { fromWindow: 0, fromLog: 0, shared: 0 } };
  const admission = new AdmissionQueue(2);
  const frames = { bytes: 0 };
  return {
    frames,
    parts: {
      replayFrameBytes: () => frames.bytes,
      connections: connections as unknown as ConnectionRegistry,
      broker,
      lag,
      replayWindow,
      replayReads,
      admission: () => admission,
    },
    connections,
    filters,
    lag,
    replayWindow,
    replayReads,
    admission,
    setHealth: (next: BrokerHealth) => (health = next),
  };
}

const settings = (registry: Registry) => ({ prefix: 'dws_', registry, buckets: [0.01, 0.1, 1] });

/** One sample's value from the text exposition, or undefined when the series is absent. */
async function sample(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function message(id: string, control?: string): BrokerMessage {
  return { topic: 't', payload: '1', control, shard: 0, id, offset: `0:e:${id}` };
}

describe('PromMetrics', () => {
  it('reads gauges and the delivery counter from plain state at scrape time', async () => {
    const registry = new Registry();
    const s = sources();
    const prom = await import('prom-client');
    new PromMetrics(prom, settings(registry), s.parts);

    expect(await sample(registry, 'dws_connections')).toBe(3);
    expect(await sample(registry, 'dws_subscriptions')).toBe(3);
    expect(await sample(registry, 'dws_broker_up{backplane="redis"}')).toBe(1);
    expect(await sample(registry, 'dws_deliveries_total')).toBe(0);

    s.connections.deliveries = 40;
    s.filters.pop();
    s.setHealth({ backplane: 'redis', up: false });
    s.lag.observe([message('1000-0')], 1250);
    expect(await sample(registry, 'dws_deliveries_total')).toBe(40);
    expect(await sample(registry, 'dws_frames_sent_total{kind="message"}')).toBe(40);
    expect(await sample(registry, 'dws_connections')).toBe(2);
    expect(await sample(registry, 'dws_subscriptions')).toBe(2);
    expect(await sample(registry, 'dws_broker_up{backplane="redis"}')).toBe(0);
    expect(await sample(registry, 'dws_reader_lag_seconds')).toBe(0.25);

    // A counter fed from a running total: a second scrape adds only what happened since.
    s.connections.deliveries = 45;
    expect(await sample(registry, 'dws_deliveries_total')).toBe(45);
    expect(await sample(registry, 'dws_deliveries_total')).toBe(45);
  });

  it('reads the admission queue and the replay window at scrape time', async () => {
    const registry = new Registry();
    const s = sources();
    new PromMetrics(await import('prom-client'), settings(registry), s.parts);
    for (const stage of ['upgrade', 'claim', 'answer']) {
      expect(await sample(registry, `dws_admission_waiting{stage="${stage}"}`)).toBe(0);
      expect(await sample(registry, `dws_admission_admitted_total{stage="${stage}"}`)).toBe(0);
    }
    for (const source of ['window', 'log', 'shared']) {
      expect(await sample(registry, `dws_replay_ranges_total{source="${source}"}`)).toBe(0);
    }
    expect(await sample(registry, 'dws_replay_window_bytes')).toBe(0);
    expect(await sample(registry, 'dws_replay_window_entries')).toBe(0);
    expect(await sample(registry, 'dws_replay_frames_bytes')).toBe(0);

    // Two tasks per turn: of four upgrades and a claim, two upgrades run now, three wait.
    for (let i = 0; i < 4; i++) s.admission.run(Stage.Upgrade, () => undefined);
    const claimed = s.admission.turn(Stage.Claim);
    expect(await sample(registry, 'dws_admission_waiting{stage="upgrade"}')).toBe(2);
    expect(await sample(registry, 'dws_admission_waiting{stage="claim"}')).toBe(1);
    expect(await sample(registry, 'dws_admission_admitted_total{stage="upgrade"}')).toBe(2);
    expect(await sample(registry, 'dws_admission_admitted_total{stage="claim"}')).toBe(0);
    await claimed;
    await new Promise((resolve) => setImmediate(resolve));
    expect(await sample(registry, 'dws_admission_waiting{stage="upgrade"}')).toBe(0);
    expect(await sample(registry, 'dws_admission_waiting{stage="claim"}')).toBe(0);
    expect(await sample(registry, 'dws_admission_admitted_total{stage="upgrade"}')).toBe(4);
    expect(await sample(registry, 'dws_admission_admitted_total{stage="claim"}')).toBe(1);
    expect(await sample(registry, 'dws_admission_admitted_total{stage="answer"}')).toBe(0);

    s.replayWindow.size = { bytes: 4096, entries: 20 };
    Object.assign(s.replayReads.stats, { fromWindow: 7, fromLog: 2, shared: 5 });
    expect(await sample(registry, 'dws_replay_window_bytes')).toBe(4096);
    expect(await sample(registry, 'dws_replay_window_entries')).toBe(20);
    s.frames.bytes = 70_000;
    expect(await sample(registry, 'dws_replay_frames_bytes')).toBe(70_000);
    expect(await sample(registry, 'dws_replay_ranges_total{source="window"}')).toBe(7);
    expect(await sample(registry, 'dws_replay_ranges_total{source="log"}')).toBe(2);
    expect(await sample(registry, 'dws_replay_ranges_total{source="shared"}')).toBe(5);
    // Running totals: a second scrape adds only what happened since.
    s.replayReads.stats.fromWindow = 9;
    expect(await sample(registry, 'dws_replay_ranges_total{source="window"}')).toBe(9);
    expect(await sample(registry, 'dws_replay_ranges_total{source="window"}')).toBe(9);
    expect(await sample(registry, 'dws_admission_admitted_total{stage="upgrade"}')).toBe(4);
  });

  it('counts frames, errors by code, resumes and slow consumers; every series starts at 0', async () => {
    const registry = new Registry();
    const metrics = new PromMetrics(
      await import('prom-client'),
      settings(registry),
      sources().parts,
    );
    expect(await sample(registry, 'dws_errors_total{code="DWS_ERR_BAD_JSON"}')).toBe(0);
    expect(await sample(registry, 'dws_frames_received_total{kind="resume"}')).toBe(0);
    expect(await sample(registry, 'dws_replays_total{result="recovered"}')).toBe(0);

    metrics.frameReceived('publish');
    metrics.frameReceived('publish');
    metrics.frameReceived('invalid');
    metrics.framesSent('ack');
    metrics.framesSent('positions', 7);
    metrics.framesSent('positions', 0);
    metrics.error('DWS_ERR_BAD_JSON');
    metrics.error('APP_ERR_QUOTA');
    metrics.slowConsumerClosed();
    metrics.resumed('recovered', 12);
    metrics.resumed('window', 0);
    metrics.resumed('window', 0);

    expect(await sample(registry, 'dws_frames_received_total{kind="publish"}')).toBe(2);
    expect(await sample(registry, 'dws_frames_received_total{kind="invalid"}')).toBe(1);
    expect(await sample(registry, 'dws_frames_sent_total{kind="ack"}')).toBe(1);
    expect(await sample(registry, 'dws_frames_sent_total{kind="positions"}')).toBe(7);
    expect(await sample(registry, 'dws_frames_sent_total{kind="error"}')).toBe(2);
    expect(await sample(registry, 'dws_frames_sent_total{kind="replay"}')).toBe(12);
    expect(await sample(registry, 'dws_errors_total{code="DWS_ERR_BAD_JSON"}')).toBe(1);
    expect(await sample(registry, 'dws_errors_total{code="APP_ERR_QUOTA"}')).toBe(1);
    expect(await sample(registry, 'dws_slow_consumer_closes_total')).toBe(1);
    expect(await sample(registry, 'dws_replays_total{result="recovered"}')).toBe(1);
    expect(
      await sample(registry, 'dws_replays_total{result="not_recovered",reason="window"}'),
    ).toBe(2);
    expect(await sample(registry, 'dws_replayed_messages_total')).toBe(12);
  });

  it('observes the delivery lag of every message of a batch, control entries excluded', async () => {
    const registry = new Registry();
    const metrics = new PromMetrics(
      await import('prom-client'),
      settings(registry),
      sources().parts,
    );
    // Appended at 1000, 1095, 1500 and 3000 ms; delivered at 3005 ms. 3004-0 is from a host whose
    // clock runs ahead: counted as 0, not negative.
    const batch = ['1000-0', '2910-3', '2995-0', '3004-0'].map((id) => message(id));
    metrics.delivered([...batch, message('1-0', '{"op":"close"}')], 3005);

    expect(await sample(registry, 'dws_delivery_lag_seconds_count')).toBe(4);
    expect(await sample(registry, 'dws_delivery_lag_seconds_bucket{le="0.01"}')).toBe(2);
    expect(await sample(registry, 'dws_delivery_lag_seconds_bucket{le="0.1"}')).toBe(3);
    expect(await sample(registry, 'dws_delivery_lag_seconds_bucket{le="1"}')).toBe(3);
    expect(await sample(registry, 'dws_delivery_lag_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(await sample(registry, 'dws_delivery_lag_seconds_sum')).toBeCloseTo(
      2.005 + 0.095 + 0.01,
    );

    // The registry's other entry points treat it as any histogram.
    const json = await registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'dws_delivery_lag_seconds')).toMatchObject({
      type: 'histogram',
      values: expect.arrayContaining([
        { value: 4, labels: {}, metricName: 'dws_delivery_lag_seconds_count' },
      ]),
    });
    registry.resetMetrics();
    expect(await sample(registry, 'dws_delivery_lag_seconds_count')).toBe(0);
  });

  it('refuses a registry that already holds its names, with a hint, and leaves nothing behind', async () => {
    const registry = new Registry();
    const prom = await import('prom-client');
    const first = new PromMetrics(prom, settings(registry), sources().parts);
    expect(() => new PromMetrics(prom, settings(registry), sources().parts)).toThrow(
      'a metric named "dws_connections" is already registered. Two apps in one process need their own "metrics.registry" or "metrics.prefix".',
    );
    expect(registry.getMetricsAsArray().map((m) => `${m.name} ${m.type}`)).toEqual([
      'dws_connections gauge',
      'dws_subscriptions gauge',
      'dws_broker_up gauge',
      'dws_reader_lag_seconds gauge',
      'dws_deliveries_total counter',
      'dws_frames_received_total counter',
      'dws_frames_sent_total counter',
      'dws_admission_waiting gauge',
      'dws_admission_admitted_total counter',
      'dws_replay_window_bytes gauge',
      'dws_replay_window_entries gauge',
      'dws_replay_frames_bytes gauge',
      'dws_replay_ranges_total counter',
      'dws_errors_total counter',
      'dws_slow_consumer_closes_total counter',
      'dws_replays_total counter',
      'dws_replayed_messages_total counter',
      'dws_publish_duration_seconds histogram',
      'dws_delivery_lag_seconds histogram',
    ]);

    // Another prefix is another set of names.
    new PromMetrics(prom, { ...settings(registry), prefix: 'ws2_' }, sources().parts);
    expect(registry.getMetricsAsArray()).toHaveLength(38);
    first.unregister();
    expect(
      registry
        .getMetricsAsArray()
        .map((m) => m.name)
        .every((n) => n.startsWith('ws2_')),
    ).toBe(true);
  });
});

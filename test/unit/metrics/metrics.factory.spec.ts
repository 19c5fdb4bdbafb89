import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { AdmissionQueue } from '../../../lib/adapter/admission-queue.js';
import { ConnectionRegistry } from '../../../lib/adapter/connection-registry.js';
import { RuntimeOptions } from '../../../lib/distributed-ws.config.js';
import { DistributedWsConfigError } from '../../../lib/errors/config.error.js';
import { InMemoryBroker } from '../../../lib/broker/in-memory/in-memory.broker.js';
import { createMetrics } from '../../../lib/metrics/metrics.factory.js';
import { NOOP_METRICS } from '../../../lib/metrics/metrics.interface.js';
import { ReaderLag } from '../../../lib/metrics/reader-lag.js';

const parts = (broker: InMemoryBroker) => ({
  broker,
  connections: new ConnectionRegistry(),
  lag: new ReaderLag(),
  replayWindow: { size: { bytes: 0, entries: 0 } },
  replayReads: { stats: { fromWindow: 0, fromLog: 0, shared: 0 } },
  admission: () => new AdmissionQueue(4),
  replayFrameBytes: () => 0,
});

async function count(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('createMetrics', () => {
  it('is the no-op, registering nothing, when the option is off', async () => {
    const broker = new InMemoryBroker();
    const handle = await createMetrics(false, parts(broker));
    expect(handle.metrics).toBe(NOOP_METRICS);
    expect(handle.registry).toBeNull();
    expect(Object.prototype.hasOwnProperty.call(broker, 'publish')).toBe(false);
  });

  it('times every publish of the broker by result, and gives the broker back on release', async () => {
    const registry = new Registry();
    const broker = new InMemoryBroker();
    const handle = await createMetrics({ registry, prefix: 'app_ws_' }, parts(broker));
    await broker.publish({ topic: 'a', payload: '1' });
    await broker.publish({ topic: 'b', payload: '2' });
    await broker.close();
    await expect(broker.publish({ topic: 'c', payload: '3' })).rejects.toThrow(
      'The in-memory broker is closed.',
    );
    expect(await count(registry, 'app_ws_publish_duration_seconds_count{result="ok"}')).toBe(2);
    expect(await count(registry, 'app_ws_publish_duration_seconds_count{result="error"}')).toBe(1);

    handle.release();
    expect(registry.getMetricsAsArray()).toEqual([]);
    expect(Object.prototype.hasOwnProperty.call(broker, 'publish')).toBe(false);
    expect(broker.publish).toBe(InMemoryBroker.prototype.publish);
  });

  it('uses prom-client’s global registry for `true`', async () => {
    const { register } = await import('prom-client');
    const handle = await createMetrics(true, parts(new InMemoryBroker()));
    try {
      expect(handle.registry).toBe(register);
      expect(register.getSingleMetric('dws_connections')).toBeDefined();
    } finally {
      handle.release();
    }
    expect(register.getSingleMetric('dws_connections')).toBeUndefined();
  });
});

describe('the metrics option', () => {
  it.each([
    [
      { prefix: 'bad-prefix' },
      'option "metrics": "prefix" must be a Prometheus name prefix (letters, digits, "_", ":"), got bad-prefix.',
    ],
    [{ registry: {} }, 'option "metrics": "registry" must be a prom-client Registry.'],
    [
      { serve: { path: 'metrics' } },
      'option "metrics": "serve.path" must be a path starting with "/", got metrics.',
    ],
    [
      { serve: { port: 9464, host: '' } },
      'option "metrics": "serve.host" must be a host name or address.',
    ],
    [
      { serve: { host: '127.0.0.1' } },
      'option "metrics": "serve.host" needs "serve.port": the app\'s own server listens where the app says.',
    ],
    [
      { buckets: [1, 0.5] },
      'option "metrics": "buckets" must be increasing positive numbers of seconds.',
    ],
    ['yes', 'option "metrics": must be true, false or an object.'],
  ])('refuses %j at boot', (metrics, message) => {
    expect(() => new RuntimeOptions({ metrics: metrics as never })).toThrow(
      new DistributedWsConfigError(message),
    );
  });

  it('resolves true to {} and leaves it off by default', () => {
    expect(new RuntimeOptions({}).options.metrics).toBe(false);
    expect(new RuntimeOptions({ metrics: true }).options.metrics).toEqual({});
    const serve = { serve: { path: '/internal/metrics' } };
    expect(new RuntimeOptions({ metrics: serve }).options.metrics).toEqual(serve);
  });
});

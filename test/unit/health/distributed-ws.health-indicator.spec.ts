import { describe, expect, it } from '@jest/globals';
import { ConnectionRegistry } from '../../../lib/adapter/connection-registry.js';
import type { Broker } from '../../../lib/broker/broker.interface.js';
import { InMemoryBroker } from '../../../lib/broker/in-memory/in-memory.broker.js';
import { DistributedWsHealthIndicator } from '../../../lib/health/distributed-ws.health-indicator.js';
import { ReaderLag } from '../../../lib/metrics/reader-lag.js';

describe('DistributedWsHealthIndicator', () => {
  it('reports the embedded broker up under "dws", with the lag once a batch was delivered, and down once closed', async () => {
    const broker = new InMemoryBroker();
    const lag = new ReaderLag();
    const indicator = new DistributedWsHealthIndicator(broker, new ConnectionRegistry(), lag);
    expect(indicator.isHealthy()).toEqual({
      dws: { status: 'up', broker: 'memory', connections: 0 },
    });

    lag.observe([{ topic: 't', payload: '1', shard: 0, id: '5000-2', offset: '0:e:5000-2' }], 5042);
    expect(indicator.isHealthy('ws')).toEqual({
      ws: { status: 'up', broker: 'memory', connections: 0, readerLagMs: 42 },
    });

    await broker.close();
    expect(indicator.isHealthy('ws').ws).toMatchObject({ status: 'down', broker: 'memory' });
  });

  it('reports a custom broker without health() as up', () => {
    const custom = { shards: 1 } as unknown as Broker;
    const indicator = new DistributedWsHealthIndicator(
      custom,
      new ConnectionRegistry(),
      new ReaderLag(),
    );
    expect(indicator.isHealthy()).toEqual({
      dws: { status: 'up', broker: 'custom', connections: 0 },
    });
  });
});

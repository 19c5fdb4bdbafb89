import { describe, expect, it } from '@jest/globals';
import { createBroker } from '../../../lib/broker/broker.factory.js';
import { RedisStreamsBroker } from '../../../lib/broker/redis-streams/index.js';
import { RuntimeOptions } from '../../../lib/distributed-ws.config.js';

const settings = { shards: 16, retentionMs: 300_000, keyPrefix: 'dws' };

describe('the { sentinels, name } broker form and publishReplicas (issue 18)', () => {
  it('refuses a Sentinel form without Sentinels or without a master name, at boot', async () => {
    await expect(createBroker({ sentinels: [], name: 'mymaster' }, settings)).rejects.toThrow(
      'DistributedWsModule: broker { sentinels } needs at least one Sentinel as { host, port }, e.g. { sentinels: [{ host: "10.0.0.1", port: 26379 }], name: "mymaster" }.',
    );
    await expect(
      createBroker({ sentinels: [{ host: '127.0.0.1', port: 26379 }] } as never, settings),
    ).rejects.toThrow(
      'DistributedWsModule: broker { sentinels } needs the master name the Sentinels monitor: { sentinels: [...], name: "mymaster" }.',
    );
  });

  it('checks publishReplicas and its timeout at boot', () => {
    expect(() => new RuntimeOptions({ publishReplicas: -1 })).toThrow(
      'option "publishReplicas" must be a non-negative integer (0: acked once the Redis primary has it), got -1.',
    );
    expect(() => new RuntimeOptions({ publishReplicasTimeoutMs: 2000 })).toThrow(
      'option "publishReplicasTimeoutMs" must be a positive integer below 2000 (ms, the bound of a whole publish), got 2000.',
    );
    expect(new RuntimeOptions({}).options).toMatchObject({
      publishReplicas: 0,
      publishReplicasTimeoutMs: 500,
    });
    expect(
      () =>
        new RedisStreamsBroker({
          connection: 'redis://127.0.0.1:6379',
          publishReplicas: 1,
          publishReplicasTimeoutMs: 2000,
        }),
    ).toThrow(
      'RedisStreamsBroker: `publishReplicasTimeoutMs` (2000) must be less than `publishTimeoutMs` (2000), which bounds the whole publish.',
    );
  });
});

import { afterAll, beforeAll } from '@jest/globals';
import { RedisStreamsBroker } from '../../lib/broker/redis-streams/index.js';
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js';
import { describeBrokerContract } from './broker.contract.js';

let cluster: RedisCluster;
let backplanes = 0;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
});

afterAll(async () => {
  await cluster?.stop();
});

describeBrokerContract('RedisStreamsBroker on a 3-node Redis Cluster', {
  backplane: (options = {}) => {
    const prefix = `contract${++backplanes}`;
    return () =>
      new RedisStreamsBroker({
        connection: { cluster: cluster.seeds },
        prefix,
        shards: 8,
        ...options,
      });
  },
  multiInstance: true,
});

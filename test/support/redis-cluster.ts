import { execFile } from 'node:child_process';
import { freePort } from './free-port.js';
import { redisCli } from './redis-cli.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

/** A local Redis Cluster of masters only, started by this test. */
export interface RedisCluster {
  readonly nodes: RedisServer[];
  /** Seed nodes as ioredis' `Cluster` takes them. */
  readonly seeds: { host: string; port: number }[];
  /** Stops every node. */
  stop(): Promise<void>;
}

/** Cluster ports stay ≤ 55535: each node also listens on port + 10000 (the cluster bus). */
async function clusterPort(): Promise<number> {
  return freePort({ max: 55535, alsoFree: [10000] });
}

/**
 * Starts `masters` cluster-enabled redis-servers, joins them with `redis-cli --cluster create`
 * (no replicas) and waits until every node reports `cluster_state:ok`.
 * @throws Error when redis-server is missing or the cluster does not form within 15 s.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      nodes.push(
        await startRedisServer({
          port: await clusterPort(),
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes-{port}.conf'],
        }),
      );
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await new Promise<void>((resolve, reject) => {
      const args = [
        '--cluster',
        'create',
        ...addresses,
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ];
      execFile('redis-cli', args, { timeout: 15_000 }, (error, _stdout, stderr) =>
        error
          ? reject(new Error(`redis-cli --cluster create failed: ${stderr || error.message}`))
          : resolve(),
      );
    });
    await waitFor(
      async () => {
        const infos = await Promise.all(
          nodes.map((node) => redisCli(node.port, ['CLUSTER', 'INFO'])),
        );
        return infos.every((info) => info.includes('cluster_state:ok'));
      },
      { timeout: 15_000, interval: 50, message: 'cluster_state:ok on every node' },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, seeds: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), stop };
}

import { execFile } from 'node:child_process';
import { freePort } from './free-port.js';
import { redisCli } from './redis-cli.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

/** A local Redis Cluster started by this test (masters, and replicas when asked). */
export interface RedisCluster {
  /** Every node: the masters first, in the order they were created, then the replicas. */
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

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Replicas per master (`--cluster-replicas`). @default 0 */
  replicas?: number;
  /** `cluster-node-timeout`: how long a master may be unreachable before it fails over. @default 15000 */
  nodeTimeoutMs?: number;
  /** Extra `redis-server` arguments for every node. @default [] */
  args?: string[];
}

/**
 * Starts `masters` cluster-enabled redis-servers (and `replicas` per master), joins them with
 * `redis-cli --cluster create` and waits until every node reports `cluster_state:ok` and
 * every replica is attached to its master.
 * @throws Error when redis-server is missing or the cluster does not form within 15 s.
 */
export async function startRedisCluster(
  masters = 3,
  options: RedisClusterOptions = {},
): Promise<RedisCluster> {
  const { replicas = 0, nodeTimeoutMs = 15_000, args = [] } = options;
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      nodes.push(
        await startRedisServer({
          port: await clusterPort(),
          args: [
            ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes-{port}.conf'],
            ...['--cluster-node-timeout', String(nodeTimeoutMs), ...args],
          ],
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
        String(replicas),
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
        if (!infos.every((info) => info.includes('cluster_state:ok'))) return false;
        const roles = await Promise.all(nodes.map((node) => redisCli(node.port, ['ROLE'])));
        const linked = roles.filter(
          (role) => role.startsWith('slave') && role.includes('connected'),
        );
        if (linked.length !== masters * replicas) return false;
        // Every node's view agrees (gossip): each replica listed under a master, everywhere.
        const views = await Promise.all(
          nodes.map((node) => redisCli(node.port, ['CLUSTER', 'NODES'])),
        );
        const known = (view: string) =>
          view.split('\n').filter((line) => {
            const [, , flags, masterId] = line.split(' ');
            return (
              flags.split(',').includes('slave') && !flags.includes('fail') && masterId !== '-'
            );
          }).length;
        return views.every((view) => known(view) === masters * replicas);
      },
      {
        timeout: 15_000,
        interval: 50,
        message: 'cluster_state:ok, and every replica linked and known to every node',
      },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, seeds: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), stop };
}

/** One master of a running cluster and what it holds. */
export interface ClusterShardOwner {
  readonly master: RedisServer;
  /** Its replicas (empty when it has none, or none is attached). */
  readonly replicas: RedisServer[];
  /** Slot ranges it serves, `[first, last]`. */
  readonly slots: [number, number][];
}

/**
 * The masters of `cluster` as node `CLUSTER NODES` reports them (ask a live node), each with
 * its replicas and slots.
 * @throws Error when `via` does not answer.
 */
export async function clusterOwners(
  cluster: RedisCluster,
  via: RedisServer,
): Promise<ClusterShardOwner[]> {
  const lines = (await redisCli(via.port, ['CLUSTER', 'NODES'])).split('\n');
  const byPort = new Map(cluster.nodes.map((node) => [node.port, node]));
  const parsed = lines.map((line) => {
    const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
    const port = Number(address.split('@')[0].split(':')[1]);
    return { id, node: byPort.get(port)!, flags, masterId, slots };
  });
  return parsed
    .filter((n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.length > 0)
    .map((n) => ({
      master: n.node,
      replicas: parsed
        .filter((r) => r.masterId === n.id && !r.flags.includes('fail'))
        .map((r) => r.node),
      slots: n.slots
        .filter((range) => !range.startsWith('['))
        .map((range) => {
          const [first, last = first] = range.split('-');
          return [Number(first), Number(last)] as [number, number];
        }),
    }));
}

import type { ConnectionOptions } from 'node:tls';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/** A Redis Cluster given by its seed nodes; the other nodes are discovered. */
export interface RedisClusterConnection {
  cluster: { host: string; port: number }[];
  /** Passed to ioredis' `Cluster` (TLS, auth in `redisOptions`, `natMap`…). */
  options?: ClusterOptions;
}

/**
 * A primary watched by Redis Sentinel, found by asking the Sentinels for `name`'s master: every
 * connection asks again when it reconnects, so that a failover (a replica promoted) is followed
 * without restarting the application.
 */
export interface RedisSentinelConnection {
  /** Some of the Sentinels (the others are learnt from them). */
  sentinels: { host: string; port: number }[];
  /** The master name the Sentinels monitor (`sentinel monitor <name> …`). */
  name: string;
  /** Password (and `username`, ACL) of the Redis nodes. */
  password?: string;
  username?: string;
  /** Password (and `sentinelUsername`) of the Sentinels themselves, when they require one. */
  sentinelPassword?: string;
  sentinelUsername?: string;
  /** TLS to the Redis nodes (ioredis `enableTLSForSentinelMode`); `sentinelTLS` for the Sentinels. */
  tls?: ConnectionOptions;
  sentinelTLS?: ConnectionOptions;
  /** Database number. @default 0 */
  db?: number;
  /** Anything else, passed to ioredis (`natMap`, `sentinelCommandTimeout`, `failoverDetector`…). */
  options?: RedisOptions;
}

/**
 * Where Redis is:
 * - a URL: `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS);
 * - ioredis `RedisOptions` for one node;
 * - `{ cluster: [{ host, port }, …] }` for a Redis Cluster;
 * - `{ sentinels: [{ host, port }, …], name }` for a primary watched by Redis Sentinel;
 * - an ioredis `Redis` or `Cluster` you own: the broker publishes through it, duplicates it
 *   for its readers and never closes it.
 */
export type RedisStreamsConnection =
  string | RedisOptions | RedisClusterConnection | RedisSentinelConnection | Redis | Cluster;

/** Where the broker reports what a caller cannot be told (a listener that threw). */
export interface RedisStreamsLogger {
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

/**
 * Options of {@link RedisStreamsBroker}. Every instance of one deployment must use the same
 * `shards`, `prefix` and `retentionMs`.
 */
export interface RedisStreamsBrokerOptions {
  /** Where Redis is. Required. */
  connection: RedisStreamsConnection;
  /**
   * Number of shards (streams). Topics hash onto them; order is kept per shard.
   * Changing it moves topics between shards: clients' positions no longer resume.
   * @default 16
   */
  shards?: number;
  /**
   * How long an entry stays replayable, in ms. Older entries are trimmed at most once per
   * second per shard (so up to a second longer), never earlier.
   * @default 300_000 (5 minutes)
   */
  retentionMs?: number;
  /**
   * Key prefix: shard n uses `<prefix>:{s<n>}:log` (stream), `<prefix>:{s<n>}:epoch` and
   * `<prefix>:{s<n>}:trimmed` (newest trimmed id).
   * @default 'dws'
   */
  prefix?: string;
  /**
   * Entries read per shard per XREAD (`COUNT`); bounds one delivered batch.
   * @default 500
   */
  readCount?: number;
  /**
   * How long one XREAD blocks on the server, in ms, before it is issued again.
   * @default 5000
   */
  blockMs?: number;
  /**
   * The longest a `publish` (or a replay `read`) waits while Redis is unreachable or slow
   * before it rejects with `BrokerUnavailableError`.
   * @default 2000
   */
  publishTimeoutMs?: number;
  /**
   * How long `connect()` keeps trying to reach Redis before it rejects.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * Upper bound of the reconnect backoff (exponential from 50 ms, with jitter), in ms.
   * Connections are retried forever.
   * @default 1000
   */
  maxReconnectDelayMs?: number;
  /**
   * Replicas that must have each publish before it is acked: after the entries of a batch are
   * appended, `WAIT publishReplicas publishReplicasTimeoutMs` runs on the same connection (on a
   * cluster, on the shard's master). A batch that fewer replicas acknowledged in time is
   * rejected with `BrokerUnavailableError` ("not replicated in time"); its entries stay in the
   * log and may still be delivered. `0`: acked once the primary has it (asynchronous
   * replication: a failover may lose it).
   * @default 0
   */
  publishReplicas?: number;
  /**
   * How long a publish waits for `publishReplicas` replicas, in ms; less than `publishTimeoutMs`.
   * @default 500
   */
  publishReplicasTimeoutMs?: number;
  /**
   * Receives listener exceptions and shard resets (an epoch changed).
   * @default console
   */
  logger?: RedisStreamsLogger;
}

/** Options with every default filled in. */
export type ResolvedRedisStreamsOptions = Required<RedisStreamsBrokerOptions>;

const POSITIVE_INTEGERS = [
  'shards',
  'retentionMs',
  'readCount',
  'blockMs',
  'publishTimeoutMs',
  'connectTimeoutMs',
  'maxReconnectDelayMs',
  'publishReplicasTimeoutMs',
] as const;

/**
 * Fills defaults and checks values, so that a configuration mistake fails at boot.
 * @throws Error naming the option and the expected value.
 */
export function resolveOptions(options: RedisStreamsBrokerOptions): ResolvedRedisStreamsOptions {
  if (options?.connection === undefined || options.connection === null) {
    throw new Error(
      'RedisStreamsBroker: `connection` is required: a URL ("redis://localhost:6379"), ' +
        'RedisOptions, { cluster: [{ host, port }] }, { sentinels: [{ host, port }], name } or an ioredis instance.',
    );
  }
  const resolved: ResolvedRedisStreamsOptions = {
    connection: options.connection,
    shards: options.shards ?? 16,
    retentionMs: options.retentionMs ?? 300_000,
    prefix: options.prefix ?? 'dws',
    readCount: options.readCount ?? 500,
    blockMs: options.blockMs ?? 5000,
    publishTimeoutMs: options.publishTimeoutMs ?? 2000,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? 1000,
    publishReplicas: options.publishReplicas ?? 0,
    publishReplicasTimeoutMs: options.publishReplicasTimeoutMs ?? 500,
    logger: options.logger ?? console,
  };
  for (const name of POSITIVE_INTEGERS) {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(`RedisStreamsBroker: \`${name}\` must be a positive integer, got ${value}.`);
    }
  }
  const { publishReplicas, publishReplicasTimeoutMs, publishTimeoutMs } = resolved;
  if (!Number.isSafeInteger(publishReplicas) || publishReplicas < 0) {
    throw new Error(
      `RedisStreamsBroker: \`publishReplicas\` must be a non-negative integer (0: do not wait for replicas), got ${publishReplicas}.`,
    );
  }
  if (publishReplicas > 0 && publishReplicasTimeoutMs >= publishTimeoutMs) {
    throw new Error(
      `RedisStreamsBroker: \`publishReplicasTimeoutMs\` (${publishReplicasTimeoutMs}) must be less than \`publishTimeoutMs\` (${publishTimeoutMs}), which bounds the whole publish.`,
    );
  }
  if (!/^[\w.:-]+$/.test(resolved.prefix)) {
    throw new Error(
      `RedisStreamsBroker: \`prefix\` "${resolved.prefix}" may only hold letters, digits, "_", ".", ":" and "-" ` +
        '(braces would break the cluster hash tags).',
    );
  }
  return resolved;
}

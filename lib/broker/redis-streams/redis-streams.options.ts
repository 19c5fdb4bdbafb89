import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/** A Redis Cluster given by its seed nodes; the other nodes are discovered. */
export interface RedisClusterConnection {
  cluster: { host: string; port: number }[];
  /** Passed to ioredis' `Cluster` (TLS, auth in `redisOptions`, `natMap`…). */
  options?: ClusterOptions;
}

/**
 * Where Redis is:
 * - a URL: `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS);
 * - ioredis `RedisOptions` for one node;
 * - `{ cluster: [{ host, port }, …] }` for a Redis Cluster;
 * - an ioredis `Redis` or `Cluster` you own: the broker publishes through it, duplicates it
 *   for its readers and never closes it.
 */
export type RedisStreamsConnection =
  string | RedisOptions | RedisClusterConnection | Redis | Cluster;

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
] as const;

/**
 * Fills defaults and checks values, so that a configuration mistake fails at boot.
 * @throws Error naming the option and the expected value.
 */
export function resolveOptions(options: RedisStreamsBrokerOptions): ResolvedRedisStreamsOptions {
  if (options?.connection === undefined || options.connection === null) {
    throw new Error(
      'RedisStreamsBroker: `connection` is required: a URL ("redis://localhost:6379"), ' +
        'RedisOptions, { cluster: [{ host, port }] } or an ioredis instance.',
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
    logger: options.logger ?? console,
  };
  for (const name of POSITIVE_INTEGERS) {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(`RedisStreamsBroker: \`${name}\` must be a positive integer, got ${value}.`);
    }
  }
  if (!/^[\w.:-]+$/.test(resolved.prefix)) {
    throw new Error(
      `RedisStreamsBroker: \`prefix\` "${resolved.prefix}" may only hold letters, digits, "_", ".", ":" and "-" ` +
        '(braces would break the cluster hash tags).',
    );
  }
  return resolved;
}

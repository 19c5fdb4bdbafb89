import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { keySlot } from './key-slot.js';
import type {
  RedisClusterConnection,
  RedisSentinelConnection,
  RedisStreamsConnection,
  ResolvedRedisStreamsOptions,
} from './redis-streams.options.js';

/** The publishing client: one node or a cluster. */
export type RedisClient = Redis | Cluster;

/**
 * A broker whose Redis connection other Redis-backed parts may share (presence storage): the
 * Redis Streams broker. Structural, so that those parts need not load the broker itself.
 */
export interface RedisBacked {
  /** Prefix of every key the broker writes. */
  readonly keyPrefix: string;
  /**
   * The broker's command connection.
   * @throws BrokerUnavailableError before `connect()`.
   */
  redisClient(): RedisClient;
}

/** Whether `broker` shares its Redis connection ({@link RedisBacked}). */
export function isRedisBacked(broker: object): broker is RedisBacked {
  const candidate = broker as Partial<RedisBacked>;
  return typeof candidate.redisClient === 'function' && typeof candidate.keyPrefix === 'string';
}

/** The publishing client and the way to open reader connections next to it. */
export interface BrokerConnections {
  readonly publisher: RedisClient;
  /** False for an instance the user gave us: we neither configure nor close it. */
  readonly owned: boolean;
  /** Where Redis is, for error messages (password masked). */
  readonly description: string;
  /**
   * Opens a dedicated connection to the node holding `key`, for one blocking XREAD loop.
   * @throws Error when the cluster's slot map does not know the node (yet).
   */
  openReader(key: string, name: string): Redis;
}

/**
 * Holds what `client` writes until the end of this tick, then sends it in one write: the
 * commands of one tick (the claims of several resumes, the publish scripts of several shards)
 * leave in one system call, not one each (issue 18: writes were a quarter of a resume's CPU).
 * A single node only: a cluster spreads its commands over its nodes' connections.
 */
export function corkUntilTickEnd(client: RedisClient): void {
  if (!(client instanceof Redis)) return;
  // Absent before the first connect.
  const stream = client.stream as Redis['stream'] | undefined;
  if (stream === undefined || stream.destroyed || stream.writableCorked > 0) return;
  stream.cork();
  process.nextTick(() => stream.uncork());
}

/** Exponential from 50 ms, capped, with jitter so that instances don't reconnect in step. */
export function backoff(attempt: number, maxMs: number): number {
  const base = Math.min(maxMs, 50 * 2 ** Math.min(attempt, 16));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

function isClusterConnection(value: RedisStreamsConnection): value is RedisClusterConnection {
  return typeof value === 'object' && Array.isArray((value as RedisClusterConnection).cluster);
}

/** `{ sentinels: [...], name }`: a primary found through Redis Sentinel. */
export function isSentinelConnection(
  value: RedisStreamsConnection,
): value is RedisSentinelConnection {
  return (
    typeof value === 'object' &&
    !(value instanceof Redis) &&
    !(value instanceof Cluster) &&
    Array.isArray((value as RedisSentinelConnection).sentinels)
  );
}

function describe(connection: RedisStreamsConnection): string {
  if (typeof connection === 'string') {
    try {
      const url = new URL(connection);
      if (url.password) url.password = '***';
      return url.toString();
    } catch {
      return connection;
    }
  }
  if (connection instanceof Cluster) return 'the given ioredis Cluster';
  if (isClusterConnection(connection)) {
    return `the Redis Cluster at ${connection.cluster.map((n) => `${n.host}:${n.port}`).join(', ')}`;
  }
  const options: RedisOptions = connection instanceof Redis ? connection.options : connection;
  if (isSentinelConnection(connection) || options.sentinels) {
    const sentinels = (options.sentinels ?? []).map((n) => `${n.host}:${n.port ?? 26379}`);
    return `the Redis master "${options.name}" of the Sentinels at ${sentinels.join(', ')}`;
  }
  return `redis://${options.host ?? 'localhost'}:${options.port ?? 6379}`;
}

/**
 * Options of the connections the broker creates.
 * - `enableOfflineQueue: false`: a command never waits inside ioredis, where it could be sent
 *   long after its caller was told it failed; the broker waits for 'ready' itself, bounded.
 * - `maxRetriesPerRequest: 0`: commands in flight when a connection drops are rejected at
 *   once rather than resent: a resent XADD could be stored twice.
 * - `enableAutoPipelining: false`: the publisher already sends the publishes of a tick as one
 *   script call per shard (stream-publisher.ts); ioredis' auto-pipelining on top added a
 *   Pipeline and a setImmediate per tick (`npm run bench:publish`: Broadcaster.publish 45–49k/s
 *   with it, 54–85k/s without). Readers hold their connection in a blocking XREAD.
 * - `reconnectOnError` READONLY / UNBLOCKED: the node this connection reached was turned into a
 *   replica (a failover: Sentinel reconfigures a returning old primary, a managed service
 *   swaps its endpoint). Reconnecting asks Sentinel (or DNS) again and reaches the new primary;
 *   the failed command is rejected, never resent (1, not 2: at most once, as above).
 * - `disconnectTimeout` (an ioredis default, missing from its types): disconnecting a
 *   connection whose socket already closed arms a timer that nothing clears, which kept Jest
 *   from exiting for its full 2000 ms default; 200 ms bounds that.
 */
function ownedOptions(
  options: ResolvedRedisStreamsOptions,
): RedisOptions & { disconnectTimeout: number } {
  return {
    disconnectTimeout: 200,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: options.connectTimeoutMs,
    retryStrategy: (attempt: number) => backoff(attempt, options.maxReconnectDelayMs),
    reconnectOnError: (error: Error) => (/^(READONLY|UNBLOCKED)/.test(error.message) ? 1 : false),
  };
}

/**
 * ioredis options of a Sentinel-managed primary. Every connection (publisher, each reader,
 * and through the publisher presence and session claims) asks the Sentinels for the master on
 * each (re)connect and checks the node's role, so a failover is followed by the ordinary
 * reconnect (at most `maxReconnectDelayMs` after the promotion). ioredis' `failoverDetector` is
 * left off: when its `+switch-master` arrives while a connection is resolving the master
 * (reconnecting after the old one died), ioredis 5.11 ends that connection for good (status
 * `end`, never retried; read from its code, after 4 of 9 e2e runs lost a connection for good).
 * A demoted primary that is still reachable has its clients killed by Sentinel, and READONLY
 * reconnects (above).
 */
function sentinelOptions(
  connection: RedisSentinelConnection,
  options: ResolvedRedisStreamsOptions,
): RedisOptions {
  const { sentinels, name, tls, options: extra, ...auth } = connection;
  return {
    // A Sentinel that accepts the connection but never answers must not hold a reconnect.
    sentinelCommandTimeout: options.connectTimeoutMs,
    sentinelRetryStrategy: (attempt: number) => backoff(attempt, options.maxReconnectDelayMs),
    ...(tls ? { tls, enableTLSForSentinelMode: true } : {}),
    ...auth,
    ...extra,
    sentinels,
    name,
  };
}

/** Builds the publisher from the `connection` option; readers are opened on demand. */
export function createConnections(options: ResolvedRedisStreamsOptions): BrokerConnections {
  const { connection } = options;
  const common = ownedOptions(options);
  let publisher: RedisClient;
  let owned = true;
  if (connection instanceof Redis || connection instanceof Cluster) {
    publisher = connection;
    owned = false;
  } else if (isClusterConnection(connection)) {
    publisher = new Cluster(connection.cluster, {
      ...connection.options,
      lazyConnect: true,
      enableAutoPipelining: false,
      enableOfflineQueue: false,
      clusterRetryStrategy: (attempt: number) => backoff(attempt, options.maxReconnectDelayMs),
      redisOptions: {
        ...connection.options?.redisOptions,
        connectTimeout: options.connectTimeoutMs,
        connectionName: 'dws-publisher',
        disconnectTimeout: 200,
        // The same at-most-once rule as a single node: never resend an XADD in flight.
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
      },
    });
  } else {
    const own: RedisOptions = {
      ...common,
      enableAutoPipelining: false,
      connectionName: 'dws-publisher',
    };
    publisher =
      typeof connection === 'string'
        ? new Redis(checkUrl(connection), own)
        : isSentinelConnection(connection)
          ? new Redis({ ...sentinelOptions(connection, options), ...own })
          : new Redis({ ...connection, ...own });
  }
  const readerOptions: RedisOptions = {
    ...common,
    lazyConnect: false,
    enableAutoPipelining: false,
  };
  return {
    publisher,
    owned,
    description: describe(connection),
    openReader(key, name) {
      const overrides = { ...readerOptions, connectionName: name };
      if (!(publisher instanceof Cluster)) return publisher.duplicate(overrides);
      const master = publisher.slots[keySlot(key)]?.[0];
      const node = publisher
        .nodes('master')
        .find((n) => `${n.options.host}:${n.options.port}` === master);
      if (!node) throw new Error(`No known Redis Cluster node holds ${key} yet.`);
      return node.duplicate(overrides);
    },
  };
}

function checkUrl(url: string): string {
  if (!/^rediss?:\/\/./.test(url)) {
    throw new Error(
      `RedisStreamsBroker: "${url}" is not a Redis URL. Use redis://host:port/db or rediss://host:port/db.`,
    );
  }
  return url;
}

/** The error `connect()` rejects with: where Redis was expected and how to fix it. */
export function unreachable(description: string, timeoutMs: number, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(
    `RedisStreamsBroker: cannot connect to ${description} within ${timeoutMs} ms (${reason}). ` +
      'Start Redis there (e.g. "redis-server --port 6379"), correct the broker address, ' +
      'or use broker "memory://" to run on the embedded in-memory broker.',
    { cause },
  );
}

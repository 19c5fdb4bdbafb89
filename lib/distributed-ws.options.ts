import type { Broker } from './broker/broker.interface.js';
import type { RedisConnectionInput } from './broker/broker.factory.js';

/**
 * Options of `DistributedWsModule.forRoot()` / `forRootAsync()`.
 * Every field is optional; the defaults run a single instance on the embedded broker.
 */
export interface DistributedWsOptions {
  /**
   * The backplane. `'memory://'` is the embedded broker (one process, for development and
   * tests); `'redis://host:port/db'` or `'rediss://…'` a Redis server; `{ cluster: [{ host, port }] }`
   * a Redis Cluster by its seed nodes; an ioredis `Redis`/`Cluster` instance; or any `Broker`.
   * @default 'memory://'
   */
  broker?: string | RedisConnectionInput | Broker;
  /**
   * Number of shard streams topics are hashed onto. Fixed for a deployment: every instance must
   * use the same value.
   * @default 16
   */
  shards?: number;
  /**
   * How long messages stay in the backplane for resume, in ms. A client away longer than this
   * resumes with `recovered: false`.
   * @default 300000 (5 minutes)
   */
  retentionMs?: number;
  /**
   * Prefix of every Redis key the library writes.
   * @default 'dws'
   */
  keyPrefix?: string;
  /**
   * Interval of server pings, in ms. A peer that has not answered the previous ping when the next
   * one is due is terminated (so a dead peer is dropped after at most two intervals).
   * @default 25000
   */
  heartbeatIntervalMs?: number;
  /**
   * Largest frame accepted, in bytes. A bigger frame closes the connection with 1009.
   * @default 65536
   */
  maxPayload?: number;
  /**
   * Deepest nesting of objects/arrays accepted in a client frame.
   * @default 32
   */
  maxDepth?: number;
  /**
   * Longest topic or pattern, in characters.
   * @default 256
   */
  maxTopicLength?: number;
  /**
   * Subscriptions one connection may hold (implicit personal topics not counted).
   * @default 1000
   */
  maxSubscriptions?: number;
  /**
   * A connection whose unsent data passes this many bytes is closed with 4001 (slow consumer);
   * it can resume and catch up. Bounds memory per connection.
   * @default 4194304 (4 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * Secret that signs session tokens (HMAC-SHA256). Required with a Redis broker: every instance
   * must share it so that any of them can resume any session. With `memory://` a random one is
   * generated at boot when absent.
   */
  sessionSecret?: string;
  /**
   * Most messages replayed on one resume; beyond, the resume answers `recovered: false`.
   * @default 10000
   */
  maxReplay?: number;
  /**
   * Enables permessage-deflate. Off by default: compression costs CPU per connection and
   * prevents sending one serialized frame to many sockets.
   * @default false
   */
  perMessageDeflate?: boolean;
  /**
   * Close connections with 1012 on shutdown (instead of a hard terminate) so clients resume
   * elsewhere.
   * @default true
   */
  closeOnShutdown?: boolean;
}

/** Options with every default applied. */
export type ResolvedDistributedWsOptions = Required<
  Omit<DistributedWsOptions, 'broker' | 'sessionSecret'>
> &
  Pick<DistributedWsOptions, 'broker'> & { sessionSecret: string };

export const DEFAULT_OPTIONS = {
  shards: 16,
  retentionMs: 300_000,
  keyPrefix: 'dws',
  heartbeatIntervalMs: 25_000,
  maxPayload: 65_536,
  maxDepth: 32,
  maxTopicLength: 256,
  maxSubscriptions: 1000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxReplay: 10_000,
  perMessageDeflate: false,
  closeOnShutdown: true,
} as const;

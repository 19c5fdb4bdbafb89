import { Logger } from '@nestjs/common';
import type { Cluster, Redis, RedisOptions, ClusterOptions } from 'ioredis';
import type { Broker } from './broker.interface.js';
import { InMemoryBroker } from './in-memory/in-memory.broker.js';
import type { RedisSentinelConnection } from './redis-streams/redis-streams.options.js';

/** A Redis Cluster given by its seed nodes. */
export interface RedisClusterInput {
  cluster: { host: string; port: number }[];
  options?: ClusterOptions;
}

/**
 * A primary watched by Redis Sentinel: `name` is the master name the Sentinels monitor
 * ({@link RedisSentinelConnection} documents each field).
 */
export type RedisSentinelInput = RedisSentinelConnection;

/** Everything that designates a Redis backplane. */
export type RedisConnectionInput =
  string | RedisClusterInput | RedisSentinelInput | Redis | Cluster | RedisOptions;

export interface BrokerSettings {
  shards: number;
  retentionMs: number;
  keyPrefix: string;
  /** Replicas a publish waits for (`WAIT`); 0 = none. Redis only. */
  publishReplicas?: number;
  publishReplicasTimeoutMs?: number;
}

/** True for a value that already implements `Broker` (a custom backplane). */
export function isBroker(value: unknown): value is Broker {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Broker).publish === 'function' &&
    typeof (value as Broker).read === 'function' &&
    typeof (value as Broker).start === 'function'
  );
}

/** True when the option selects the embedded broker. */
export function isMemoryBroker(input: unknown): boolean {
  return input === undefined || input === 'memory://' || input === 'memory';
}

/** What is wrong with a `{ sentinels, name }` input, or null (also for every other form). */
function sentinelInputProblem(input: unknown): string | null {
  if (typeof input !== 'object' || input === null || !('sentinels' in input)) return null;
  const { sentinels, name } = input as Partial<RedisSentinelInput>;
  const valid = (s: unknown) =>
    typeof (s as { host?: unknown })?.host === 'string' &&
    Number.isInteger((s as { port?: unknown }).port);
  if (!Array.isArray(sentinels) || sentinels.length === 0 || !sentinels.every(valid)) {
    return '{ sentinels } needs at least one Sentinel as { host, port }, e.g. { sentinels: [{ host: "10.0.0.1", port: 26379 }], name: "mymaster" }.';
  }
  if (typeof name !== 'string' || name === '') {
    return '{ sentinels } needs the master name the Sentinels monitor: { sentinels: [...], name: "mymaster" }.';
  }
  return null;
}

/**
 * Builds the broker the `broker` option designates.
 * @throws Error for a URL scheme that is neither `memory://`, `redis://` nor `rediss://`, or a
 *   `{ sentinels }` form without Sentinels or master name.
 */
export async function createBroker(
  input: string | RedisConnectionInput | Broker | undefined,
  settings: BrokerSettings,
): Promise<Broker> {
  if (isBroker(input)) return input;
  if (isMemoryBroker(input)) {
    return new InMemoryBroker({ shards: settings.shards, retentionMs: settings.retentionMs });
  }
  if (typeof input === 'string' && !/^rediss?:\/\//.test(input)) {
    throw new Error(
      `DistributedWsModule: broker "${input}" is not supported. Use "memory://", "redis://host:port/db", "rediss://…", { cluster: [...] }, { sentinels: [...], name } or an ioredis instance.`,
    );
  }
  const sentinelProblem = sentinelInputProblem(input);
  if (sentinelProblem) throw new Error(`DistributedWsModule: broker ${sentinelProblem}`);
  // Loaded on demand so that the embedded broker never loads ioredis.
  const { RedisStreamsBroker } = await import('./redis-streams/redis-streams.broker.js');
  return new RedisStreamsBroker({
    connection: input as RedisConnectionInput,
    shards: settings.shards,
    retentionMs: settings.retentionMs,
    prefix: settings.keyPrefix,
    publishReplicas: settings.publishReplicas,
    publishReplicasTimeoutMs: settings.publishReplicasTimeoutMs,
    // Through Nest's logger, like the rest of the module, rather than the broker's console default.
    logger: new Logger('DistributedWs'),
  });
}

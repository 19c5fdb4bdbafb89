import { Logger } from '@nestjs/common';
import type { Cluster, Redis, RedisOptions, ClusterOptions } from 'ioredis';
import type { Broker } from './broker.interface.js';
import { InMemoryBroker } from './in-memory/in-memory.broker.js';

/** A Redis Cluster given by its seed nodes. */
export interface RedisClusterInput {
  cluster: { host: string; port: number }[];
  options?: ClusterOptions;
}

/** Everything that designates a Redis backplane. */
export type RedisConnectionInput = string | RedisClusterInput | Redis | Cluster | RedisOptions;

export interface BrokerSettings {
  shards: number;
  retentionMs: number;
  keyPrefix: string;
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

/**
 * Builds the broker the `broker` option designates.
 * @throws Error for a URL scheme that is neither `memory://`, `redis://` nor `rediss://`.
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
      `DistributedWsModule: broker "${input}" is not supported. Use "memory://", "redis://host:port/db", "rediss://…", { cluster: [...] } or an ioredis instance.`,
    );
  }
  // Loaded on demand so that the embedded broker never loads ioredis.
  const { RedisStreamsBroker } = await import('./redis-streams/redis-streams.broker.js');
  return new RedisStreamsBroker({
    connection: input as RedisConnectionInput,
    shards: settings.shards,
    retentionMs: settings.retentionMs,
    prefix: settings.keyPrefix,
    // Through Nest's logger, like the rest of the module, rather than the broker's console default.
    logger: new Logger('DistributedWs'),
  });
}

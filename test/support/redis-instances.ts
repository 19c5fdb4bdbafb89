import { type InstanceProcess, startInstance } from './app-process.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

/** A redis-server and app instances on it, all started by this test. */
export interface RedisInstances {
  readonly redis: RedisServer;
  readonly instances: InstanceProcess[];
  /** What the instances were started with (`BROKER` included): to start more on the same Redis. */
  readonly env: Record<string, string>;
  /** Stops the instances with `signal`, then Redis. @default signal 'SIGTERM' */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts a redis-server, then `count` instances on it with `env` (plus `BROKER`) in parallel.
 * @throws the first start failure, after stopping whatever did start.
 */
export async function startRedisInstances(
  count: number,
  env: Record<string, string>,
): Promise<RedisInstances> {
  const redis = await startRedisServer();
  const instanceEnv = { ...env, BROKER: redis.url };
  // Every start settles before a failure is thrown, so that none is left running.
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startInstance(instanceEnv)),
  );
  const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async (signal?: NodeJS.Signals) => {
    await Promise.all(instances.map((instance) => instance.kill(signal)));
    await redis.stop();
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop('SIGKILL');
    throw failed.reason;
  }
  return { redis, instances, env: instanceEnv, stop };
}

import { afterAll, afterEach, beforeAll } from '@jest/globals';
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

/** What {@link useFailoverFleet} gives a describe block. */
export interface FailoverFleet {
  /** Redis and the two long-lived instances (valid inside tests). */
  readonly cluster: RedisInstances;
  /** Publishes for the tests; never killed. */
  readonly publisher: InstanceProcess;
  /** Where clients fail over to; never killed. */
  readonly spare: InstanceProcess;
  /** Starts an instance of the same fleet for one test, SIGKILLed after that test if still up. */
  startVictim(): Promise<InstanceProcess>;
}

/**
 * Jest hooks of a failover test: a Redis with a publisher and a spare instance for the whole
 * describe block, victims started per test and killed after it, everything stopped at the end.
 */
export function useFailoverFleet(env: Record<string, string>): FailoverFleet {
  let cluster: RedisInstances | undefined;
  const victims: InstanceProcess[] = [];
  const started = (): RedisInstances => {
    if (!cluster) throw new Error('useFailoverFleet: the fleet is used outside a test');
    return cluster;
  };
  beforeAll(async () => {
    cluster = await startRedisInstances(2, env);
  }, 30_000);
  afterEach(async () => {
    await Promise.all(victims.splice(0).map((victim) => victim.kill('SIGKILL')));
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return {
    get cluster() {
      return started();
    },
    get publisher() {
      return started().instances[0];
    },
    get spare() {
      return started().instances[1];
    },
    async startVictim() {
      const victim = await startInstance(started().env);
      victims.push(victim);
      return victim;
    },
  };
}

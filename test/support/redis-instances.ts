import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { type InstanceProcess, startInstance } from './app-process.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { WsTestClient } from './ws-test-client.js';

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
  const pair = useInstancePair(env);
  const victims: InstanceProcess[] = [];
  afterEach(async () => {
    await Promise.all(victims.splice(0).map((victim) => victim.kill('SIGKILL')));
  });
  return {
    get cluster() {
      return pair.cluster;
    },
    get publisher() {
      return pair.a;
    },
    get spare() {
      return pair.b;
    },
    async startVictim() {
      const victim = await startInstance(pair.cluster.env);
      victims.push(victim);
      return victim;
    },
  };
}

/** What {@link useInstancePair} gives a describe block (valid inside tests). */
export interface InstancePair {
  /** Redis and the two instances. */
  readonly cluster: RedisInstances;
  readonly a: InstanceProcess;
  readonly b: InstanceProcess;
  /** A client on `instance`, welcomed; closed at the end of the describe block. */
  open(instance: InstanceProcess): Promise<WsTestClient>;
}

/**
 * Jest hooks of a describe block: a Redis and two instances on it, started with `env`, for the
 * whole block; at its end the clients it opened are closed, then the instances are stopped with
 * `signal` (see {@link RedisInstances.stop}), then Redis.
 */
export function useInstancePair(
  env: Record<string, string>,
  signal?: NodeJS.Signals,
): InstancePair {
  let cluster: RedisInstances | undefined;
  const clients: WsTestClient[] = [];
  const started = (): RedisInstances => {
    if (!cluster) throw new Error('useInstancePair: the instances are used outside a test');
    return cluster;
  };
  beforeAll(async () => {
    cluster = await startRedisInstances(2, env);
  }, 60_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await cluster?.stop(signal);
  });
  return {
    get cluster() {
      return started();
    },
    get a() {
      return started().instances[0];
    },
    get b() {
      return started().instances[1];
    },
    async open(instance) {
      const client = await WsTestClient.connect(instance.url());
      clients.push(client);
      return client;
    },
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { redisCli } from './redis-cli.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

/** A `redis-server --sentinel` process this test started, stopped by its PID. */
export interface RedisSentinel {
  readonly port: number;
  readonly pid: number;
  /** SIGKILL, waits for the exit and removes its directory (its config is rewritten at run time). */
  stop(): Promise<void>;
}

/** A primary, its replicas and the Sentinels that watch them, started by this test. */
export interface SentinelGroup {
  /** The master name the Sentinels monitor (`mymaster`). */
  readonly name: string;
  /** The node started as primary, then the replicas (`--replicaof`), in start order. */
  readonly nodes: RedisServer[];
  readonly sentinels: RedisSentinel[];
  /** Addresses as ioredis' `sentinels` option takes them. */
  readonly addresses: { host: string; port: number }[];
  /** The port Sentinel reports for the master now (`SENTINEL get-master-addr-by-name`). */
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}

/** Options of {@link startSentinelGroup}. */
export interface SentinelGroupOptions {
  /** @default 1 */
  replicas?: number;
  /** @default 1 (quorum: a majority of them) */
  sentinels?: number;
  /** `down-after-milliseconds`. @default 1000 */
  downAfterMs?: number;
  /** `failover-timeout`. @default 3000 */
  failoverTimeoutMs?: number;
}

const MASTER = 'mymaster';

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function startSentinel(
  masterPort: number,
  quorum: number,
  options: Required<Pick<SentinelGroupOptions, 'downAfterMs' | 'failoverTimeoutMs'>>,
): Promise<RedisSentinel> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'dws-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${join(dir, 'sentinel.log')}`,
      `sentinel monitor ${MASTER} 127.0.0.1 ${masterPort} ${quorum}`,
      `sentinel down-after-milliseconds ${MASTER} ${options.downAfterMs}`,
      `sentinel failover-timeout ${MASTER} ${options.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${MASTER} 1`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  process.once('exit', () => child.kill('SIGKILL'));
  const stop = async () => {
    child.kill('SIGKILL');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-sentinel exited (${child.exitCode})`);
        const master = await redisCli(port, ['SENTINEL', 'get-master-addr-by-name', MASTER], 1000);
        return master.endsWith(String(masterPort));
      },
      { timeout: 10_000, interval: 50, message: `Sentinel on port ${port} to monitor ${MASTER}` },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid!, stop };
}

/**
 * Starts a primary, `replicas` replicas (`--replicaof`, linked before this returns) and
 * `sentinels` Sentinels monitoring them as `mymaster`, and waits until every Sentinel knows
 * every replica (so that it can promote one).
 * @throws Error when a process does not start or the group does not form within 10 s.
 */
export async function startSentinelGroup(
  options: SentinelGroupOptions = {},
): Promise<SentinelGroup> {
  const { replicas = 1, sentinels: count = 1, downAfterMs = 1000 } = options;
  const { failoverTimeoutMs = 3000 } = options;
  const nodes: RedisServer[] = [];
  const sentinels: RedisSentinel[] = [];
  const stop = async () => {
    await Promise.all(sentinels.map((s) => s.stop()));
    await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  };
  try {
    const primary = await startRedisServer();
    nodes.push(primary);
    for (let i = 0; i < replicas; i++) {
      nodes.push(
        await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] }),
      );
    }
    await waitFor(
      async () => {
        const info = await redisCli(primary.port, ['INFO', 'replication']);
        return (info.match(/state=online/g) ?? []).length === replicas;
      },
      { timeout: 10_000, interval: 50, message: `${replicas} replica(s) online` },
    );
    const quorum = Math.floor(count / 2) + 1;
    for (let i = 0; i < count; i++) {
      sentinels.push(await startSentinel(primary.port, quorum, { downAfterMs, failoverTimeoutMs }));
    }
    await waitFor(
      async () => {
        for (const sentinel of sentinels) {
          const master = await redisCli(sentinel.port, ['SENTINEL', 'master', MASTER]);
          const lines = master.split('\n');
          const field = (name: string) => Number(lines[lines.indexOf(name) + 1]);
          if (field('num-slaves') !== replicas || field('num-other-sentinels') !== count - 1) {
            return false;
          }
        }
        return true;
      },
      { timeout: 15_000, interval: 100, message: 'every Sentinel to know the replicas' },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name: MASTER,
    nodes,
    sentinels,
    addresses: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    async masterPort() {
      const reply = await redisCli(sentinels[0].port, [
        'SENTINEL',
        'get-master-addr-by-name',
        MASTER,
      ]);
      return Number(reply.split('\n')[1]);
    },
    stop,
  };
}

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { redisCli } from './redis-cli.js';
import { waitFor } from './wait-for.js';

/** A `redis-server` process this test started, stopped by its PID. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** PID of the current process (a restart changes it). */
  readonly pid: number;
  /** SIGTERM, waits for the exit (SIGKILL after 5 s) and removes the data directory. */
  stop(): Promise<void>;
  /** Sends `signal` and waits for the exit. @default signal 'SIGKILL' */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it if running, then starts it again on the same port with no data. */
  restart(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** @default a free port */
  port?: number;
  /** Extra `redis-server` arguments (cluster mode…). `{port}` is replaced by the port. @default [] */
  args?: string[];
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
let binaryChecked = false;

/** Last resort if a test forgot its afterAll: no redis-server outlives the Jest worker. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function checkBinary(): void {
  if (binaryChecked) return;
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('redis-server not found: install it with "apt-get install redis-server"');
  }
  binaryChecked = true;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(
  port: number,
  extra: string[],
): Promise<{ child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'dws-redis-'));
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ...['--dir', dir, '--logfile', join(dir, 'redis.log')],
    ...extra.map((a) => a.replaceAll('{port}', String(port))),
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const log = () => {
    try {
      return readFileSync(join(dir, 'redis.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
    } catch {
      return 'no log';
    }
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited: ${log()}`);
        return (await redisCli(port, ['PING'], 1000)) === 'PONG';
      },
      { timeout: 10_000, interval: 20, message: `redis-server on port ${port} to answer PING` },
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { child, dir };
}

/**
 * Starts a real `redis-server` (no persistence, loopback only) and waits until it answers PING.
 * @throws Error `redis-server not found: install it with "apt-get install redis-server"`.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  checkBinary();
  installExitHook();
  const extra = options.args ?? [];
  let port = options.port ?? (await freePort());
  let started: { child: ChildProcess; dir: string } | undefined;
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await launch(port, extra);
    } catch (error) {
      // Another worker may have taken the port between the check and the bind.
      if (options.port !== undefined || attempt >= 5) throw error;
      port = await freePort();
    }
  }
  let current: { child: ChildProcess; dir: string } | null = started;

  const halt = async (signal: NodeJS.Signals) => {
    if (!current) return;
    const { child, dir } = current;
    current = null;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited(child);
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return current?.child.pid ?? -1;
    },
    stop: () => halt('SIGTERM'),
    kill: (signal = 'SIGKILL') => halt(signal),
    async restart() {
      await halt('SIGTERM');
      current = await launch(port, extra);
    },
  };
}

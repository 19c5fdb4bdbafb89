import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** A TypeScript entry file running in its own process through the swc loader. */
export interface TsProcess {
  readonly pid: number;
  /** What `ready` matched on stdout. */
  readonly ready: RegExpExecArray;
  /** Sends a signal (unless it already exited) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Everything the process wrote to stderr. */
  stderr(): string;
}

/**
 * Starts `entry` (a path from the repository root) and waits until its stdout matches `ready`.
 * Every process started here is SIGKILLed if the test process exits first.
 * @throws Error with the process's stderr when it exits before, or stays silent for 20 s.
 */
export async function spawnTs(
  entry: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<TsProcess> {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', '--import', './scripts/register-swc.js', entry],
    {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`${entry} did not start within 20 s:\n${stderr}`)),
      20_000,
    );
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const found = ready.exec(out);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before it was ready:\n${stderr}`));
    });
  });
  return {
    pid: child.pid!,
    ready: match,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    stderr: () => stderr,
  };
}

/** The payloads `/control/publish-many` publishes for `from`: `{ seq, from }`, seq from `first`. */
export function publishedPayloads(from: string, count: number, first = 0) {
  return Array.from({ length: count }, (_, k) => ({ seq: first + k, from }));
}

/** An app instance running in its own process (test/support/instance/main.ts). */
export interface InstanceProcess extends TsProcess {
  readonly port: number;
  url(path?: string): string;
  /** POSTs JSON to the instance's control endpoints (`/control/publish`, …). */
  control<T = any>(path: string, body: unknown): Promise<T>;
}

/** Starts an instance and waits until it listens (it prints `DWS_READY <port>`). */
export async function startInstance(env: Record<string, string>): Promise<InstanceProcess> {
  const instance = await spawnTs('test/support/instance/main.ts', env, /DWS_READY (\d+)/);
  const port = Number(instance.ready[1]);
  return {
    ...instance,
    port,
    url: (path = '/ws') => `ws://127.0.0.1:${port}${path}`,
    async control(path, body) {
      const response = await fetch(`http://127.0.0.1:${port}/control/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok)
        throw new Error(`POST /control/${path} → ${response.status}: ${await response.text()}`);
      return response.json();
    },
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** An app instance running in its own process (test/support/instance/main.ts). */
export interface InstanceProcess {
  readonly port: number;
  readonly pid: number;
  url(path?: string): string;
  /** POSTs JSON to the instance's control endpoints (`/control/publish`, …). */
  control<T = any>(path: string, body: unknown): Promise<T>;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Everything the process wrote to stderr. */
  stderr(): string;
}

/**
 * Starts an instance and waits until it listens.
 * @throws Error with the process's stderr when it exits or stays silent for 20 s.
 */
export async function startInstance(env: Record<string, string>): Promise<InstanceProcess> {
  const child = spawn(
    process.execPath,
    [
      '--enable-source-maps',
      '--import',
      './scripts/register-swc.js',
      'test/support/instance/main.ts',
    ],
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
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`Instance did not start within 20 s:\n${stderr}`)),
      20_000,
    );
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /DWS_READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Instance exited with ${code} before listening:\n${stderr}`));
    });
  });
  return {
    port,
    pid: child.pid!,
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
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    stderr: () => stderr,
  };
}

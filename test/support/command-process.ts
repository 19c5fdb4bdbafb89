import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** One child process (`entry`, run through the swc loader) answering JSON commands line by line. */
export class CommandProcess {
  private readonly answers: ((line: string) => void)[] = [];
  private readonly exited: Promise<void>;
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    running.add(child);
    child.stderr!.on('data', (chunk) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        running.delete(child);
        resolve();
      }),
    );
  }

  /**
   * Starts `entry` and waits until it prints `ready` (a line of its own).
   * @throws Error with the process's stderr if it exits first or stays silent for `timeoutMs`.
   */
  static async start(
    entry: string,
    env: Record<string, string>,
    ready: string,
    timeoutMs: number,
  ): Promise<CommandProcess> {
    const child = spawn(process.execPath, ['--import', './scripts/register-swc.js', entry], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const started = new CommandProcess(child);
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`${entry} ${why}:\n${started.stderr}`));
      const timer = setTimeout(() => fail(`was not ready within ${timeoutMs} ms`), timeoutMs);
      void started.exited.then(() => fail(`exited with ${child.exitCode} before it was ready`));
      lines.once('line', (line) => {
        clearTimeout(timer);
        if (line === ready) resolve();
        else fail(`printed "${line.slice(0, 200)}" instead of ${ready}`);
      });
    });
    lines.on('line', (line) => started.answers.shift()?.(line));
    return started;
  }

  /** Sends one command and resolves with the JSON line it answers. */
  command<T>(command: Record<string, unknown>): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        return reject(new Error(`the process exited:\n${this.stderr}`));
      }
      this.answers.push((line) => resolve(JSON.parse(line) as T));
      this.child.stdin!.write(JSON.stringify(command) + '\n');
    });
  }

  /** Asks it to close (it answers, then exits); SIGKILL if it has not exited within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.write(JSON.stringify({ cmd: 'close' }) + '\n');
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

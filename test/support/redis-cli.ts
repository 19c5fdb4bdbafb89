import { execFile } from 'node:child_process';

/**
 * Runs one command with `redis-cli` against 127.0.0.1:`port` and returns its trimmed output.
 * Test support only: it keeps the tests free of a second Redis client implementation.
 * @throws Error when redis-cli fails or takes longer than `timeout` ms.
 */
export function redisCli(port: number, args: string[], timeout = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      ['-h', '127.0.0.1', '-p', String(port), ...args],
      { timeout },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `redis-cli ${args.join(' ')} on port ${port} failed: ${stderr || error.message}`,
            ),
          );
        else resolve(stdout.trim());
      },
    );
  });
}

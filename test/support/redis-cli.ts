import { execFile } from 'node:child_process';
import { waitFor } from './wait-for.js';

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

/**
 * Cuts the replica `replicaPid` off its master on `masterPort` before writes it must lose: the
 * replica stopped (SIGSTOP: it cannot reconnect; SIGCONT it to let it go on), its link closed by
 * the master now and again at the next write should it come back. Closed before the writes,
 * nothing of them can sit in a socket buffer the replica reads later.
 */
export async function cutOffReplica(masterPort: number, replicaPid: number): Promise<void> {
  process.kill(replicaPid, 'SIGSTOP');
  await redisCli(masterPort, ['CONFIG', 'SET', 'client-output-buffer-limit', 'replica 1 1 0']);
  await redisCli(masterPort, ['CLIENT', 'KILL', 'TYPE', 'replica']);
  await waitFor(
    async () =>
      (await redisCli(masterPort, ['INFO', 'replication'])).includes('connected_slaves:0'),
    { message: 'the master without its replica' },
  );
}

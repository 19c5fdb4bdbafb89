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

/** A field of `INFO replication` as a number (`master_repl_offset`, `slave_repl_offset`…). */
async function replicationField(port: number, field: string): Promise<number> {
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(
    await redisCli(port, ['INFO', 'replication']),
  );
  if (!match) throw new Error(`INFO replication on port ${port} has no ${field}`);
  return Number(match[1]);
}

/**
 * Cuts `replica` off its master on `masterPort` before writes it must lose. First it waits until
 * the replica has applied every write the master had made (its `slave_repl_offset` reaches the
 * master's `master_repl_offset`): what the test wrote before must survive a promotion. Then the
 * replica is stopped (SIGSTOP: it cannot reconnect; SIGCONT it to let it go on) and its link
 * closed by the master now and again at the next write should it come back. Closed before the
 * writes, nothing of them can sit in a socket buffer the replica reads later.
 */
export async function cutOffReplica(
  masterPort: number,
  replica: { port: number; pid: number },
): Promise<void> {
  const written = await replicationField(masterPort, 'master_repl_offset');
  await waitFor(
    async () => (await replicationField(replica.port, 'slave_repl_offset')) >= written,
    {
      message: `the replica on port ${replica.port} to apply the master's writes up to offset ${written}`,
    },
  );
  process.kill(replica.pid, 'SIGSTOP');
  await redisCli(masterPort, ['CONFIG', 'SET', 'client-output-buffer-limit', 'replica 1 1 0']);
  await redisCli(masterPort, ['CLIENT', 'KILL', 'TYPE', 'replica']);
  await waitFor(async () => (await replicationField(masterPort, 'connected_slaves')) === 0, {
    message: 'the master without its replica',
  });
}

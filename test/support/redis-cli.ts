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
 * Waits until the replica on `replicaPort` has applied every write its master on `masterPort`
 * had made when called (its `slave_repl_offset` reaches the master's `master_repl_offset`): every
 * shard's entries, claims and marks, not only the one a test looks at, survive a promotion.
 */
export async function replicaCaughtUp(masterPort: number, replicaPort: number): Promise<void> {
  const written = await replicationField(masterPort, 'master_repl_offset');
  await waitFor(async () => (await replicationField(replicaPort, 'slave_repl_offset')) >= written, {
    message: `the replica on port ${replicaPort} to apply its master's writes up to offset ${written}`,
  });
}

/**
 * Cuts `replica` off its master on `masterPort` before writes it must lose. It waits until the
 * replica has caught up ({@link replicaCaughtUp}): what the test wrote before must survive the
 * promotion. Then the replica is stopped (SIGSTOP: it cannot reconnect; SIGCONT it to let it go
 * on) and its link closed by the master now and again at the next write should it come back.
 * Closed before the writes, nothing of them can sit in a socket buffer the replica reads later.
 */
export async function cutOffReplica(
  masterPort: number,
  replica: { port: number; pid: number },
): Promise<void> {
  await replicaCaughtUp(masterPort, replica.port);
  process.kill(replica.pid, 'SIGSTOP');
  await redisCli(masterPort, ['CONFIG', 'SET', 'client-output-buffer-limit', 'replica 1 1 0']);
  await redisCli(masterPort, ['CLIENT', 'KILL', 'TYPE', 'replica']);
  await waitFor(async () => (await replicationField(masterPort, 'connected_slaves')) === 0, {
    message: 'the master without its replica',
  });
}

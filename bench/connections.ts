// `npm run bench:connections`: 10,000 concurrent connections on one instance (test/load/).
// Env: CONNECTIONS (10000), CONN_PROCS (client processes, 4), CONN_BATCH (100 at a time per
// process), CONN_MESSAGES (20), CONN_BROKER (memory | redis). Needs `ulimit -n` ≥ CONNECTIONS+500.
// Exits 1 if a connection missed, repeated or reordered a message.
import { formatConnectionsResult, runConnections } from '../test/load/connections.js';

const broker = process.env.CONN_BROKER ?? 'memory';
if (broker !== 'memory' && broker !== 'redis') throw new Error('CONN_BROKER: memory or redis');
const result = await runConnections({
  connections: Number(process.env.CONNECTIONS ?? 10_000),
  clientProcesses: Number(process.env.CONN_PROCS ?? 4),
  batch: Number(process.env.CONN_BATCH ?? 100),
  messages: Number(process.env.CONN_MESSAGES ?? 20),
  broker,
});
process.stdout.write(`${formatConnectionsResult(result)}\n`);
process.exit(result.problems.length === 0 ? 0 : 1);

import { readFileSync } from 'node:fs';
import { type InstanceProcess, startInstance } from '../support/app-process.js';
import { CommandProcess } from '../support/command-process.js';
import { cpuMsOf, rssOf } from '../support/proc-stats.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { LOAD_TOPIC } from './connections-topics.js';

/** One run of the connections load test. */
export interface ConnectionsConfig {
  /** Concurrent connections to the one instance. */
  connections: number;
  /** Client processes the connections are spread over. */
  clientProcesses: number;
  /** Connections each client process opens at once. */
  batch: number;
  /** Messages published once all are connected; each connection must get all of them. */
  messages: number;
  broker: 'memory' | 'redis';
}

/** What a run measured; `problems` empty means every connection got every message once, in order. */
export interface ConnectionsResult {
  config: ConnectionsConfig;
  /** From the first connection attempt to the last subscription ack, over all client processes. */
  connectSeconds: number;
  connectsPerSecond: number;
  /** Instance RSS before any connection, and with all connected and subscribed, in bytes. */
  rssIdle: number;
  rssConnected: number;
  bytesPerConnection: number;
  /** Instance CPU (user+sys) spent while the connections were opened, per connection, in ms. */
  cpuMsPerConnection: number;
  /** From the publish request to the last connection having every message, in ms. */
  deliveryMs: number;
  deliveries: number;
  problems: string[];
}

interface ClientReport {
  connections: number;
  open: number;
  received: number;
  wrong: number;
  sample: unknown[];
}

/** The soft limit on open files of this process (its children inherit it). */
export function openFilesLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  return Number(/^Max open files\s+(\S+)/m.exec(limits)?.[1] ?? Number.POSITIVE_INFINITY);
}

/**
 * Opens `connections` subscribed WebSocket connections to one instance from child processes,
 * measures the connect rate and the instance's memory per connection, then publishes
 * `messages` and checks that each connection received every one exactly once, in order.
 * @throws Error when the open-files limit is too low for the instance to hold the connections.
 */
export async function runConnections(config: ConnectionsConfig): Promise<ConnectionsResult> {
  const limit = openFilesLimit();
  if (limit < config.connections + 500) {
    throw new Error(
      `The open-files limit (${limit}) is too low for ${config.connections} connections: ` +
        `run "ulimit -n ${config.connections + 1000}" in this shell first.`,
    );
  }
  let redis: RedisServer | undefined;
  let instance: InstanceProcess | undefined;
  const clients: CommandProcess[] = [];
  try {
    if (config.broker === 'redis') redis = await startRedisServer();
    instance = await startInstance({
      BROKER: redis?.url ?? 'memory://',
      DWS_SESSION_SECRET: 'connections-secret-0123456789abcdef',
      DWS_OPTIONS: JSON.stringify({ maxConnections: config.connections + 1000 }),
    });
    const rssIdle = rssOf(instance.pid);
    const cpuIdle = cpuMsOf(instance.pid);
    const share = Math.ceil(config.connections / config.clientProcesses);
    const counts = Array.from({ length: config.clientProcesses }, (_, k) =>
      Math.max(0, Math.min(share, config.connections - k * share)),
    ).filter((n) => n > 0);
    const started = await Promise.all(
      counts.map((count) =>
        CommandProcess.start(
          'test/load/connections-client.ts',
          {
            CONN_URL: instance!.url(),
            CONN_COUNT: String(count),
            CONN_BATCH: String(config.batch),
          },
          'CONN_READY',
          180_000,
        ),
      ),
    );
    clients.push(...started);
    const all = <T>(command: Record<string, unknown>) =>
      Promise.all(clients.map((c) => c.command<T>(command)));
    const timings = await all<{ startedAt: number; readyAt: number }>({ cmd: 'timing' });
    const connectMs =
      Math.max(...timings.map((t) => t.readyAt)) - Math.min(...timings.map((t) => t.startedAt));
    const rssConnected = rssOf(instance.pid);
    const cpuMsPerConnection = (cpuMsOf(instance.pid) - cpuIdle) / config.connections;

    const publishedAt = Date.now();
    await instance.control('publish-many', {
      topic: LOAD_TOPIC,
      count: config.messages,
      from: 'L',
    });
    await waitFor(
      async () =>
        (await all<{ pending: number }>({ cmd: 'pending', count: config.messages })).every(
          (p) => p.pending === 0,
        ),
      {
        timeout: 60_000,
        interval: 50,
        message: `every connection to get ${config.messages} messages`,
      },
    );
    const deliveryMs = Date.now() - publishedAt;

    const reports = await all<ClientReport>({ cmd: 'report', count: config.messages });
    const problems = reports.flatMap((r, k) =>
      r.wrong > 0 || r.open !== counts[k]
        ? [
            `client process ${k}: ${r.open}/${counts[k]} open, ${r.wrong} wrong: ${JSON.stringify(r.sample)}`,
          ]
        : [],
    );
    return {
      config,
      connectSeconds: connectMs / 1000,
      connectsPerSecond: config.connections / (connectMs / 1000),
      rssIdle,
      rssConnected,
      bytesPerConnection: (rssConnected - rssIdle) / config.connections,
      cpuMsPerConnection,
      deliveryMs,
      deliveries: reports.reduce((n, r) => n + r.received, 0),
      problems,
    };
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
    await instance?.kill('SIGKILL');
    await redis?.stop();
  }
}

/** The numbers of a run, one per line. */
export function formatConnectionsResult(r: ConnectionsResult): string {
  const MiB = 1024 * 1024;
  return [
    `${r.config.connections} connections to one instance (${r.config.broker} broker) from ${r.config.clientProcesses} client processes, ${r.config.batch} at a time each`,
    `Connect: ${r.connectSeconds.toFixed(2)} s, ${r.connectsPerSecond.toFixed(0)} connections/s (connect + welcome + subscribe ack); instance CPU ${r.cpuMsPerConnection.toFixed(2)} ms per connection`,
    `Instance RSS: ${(r.rssIdle / MiB).toFixed(1)} MiB idle, ${(r.rssConnected / MiB).toFixed(1)} MiB connected: ${(r.bytesPerConnection / 1024).toFixed(1)} KiB per connection`,
    `Delivery: ${r.config.messages} messages to every connection (${r.deliveries} deliveries) in ${r.deliveryMs} ms`,
    r.problems.length === 0
      ? 'Verdict: every connection got every message exactly once, in order.'
      : `Verdict: FAILED\n  ${r.problems.join('\n  ')}`,
  ].join('\n');
}

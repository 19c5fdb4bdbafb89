// `npm run bench:memory`: the worst-case memory one connection can make an instance hold under
// the default limits (issue 17). The instance runs in this process with every default (embedded
// broker, no option set), so its heap can be measured after a full GC; the clients run in a
// child process (bench/memory-budget-client.ts), so what they hold is not counted.
// Each of MEM_CONNECTIONS (50) connections drives every resource to its default limit at once:
// maxSubscriptions topics of maxTopicLength characters; presence info up to
// maxPresenceInfoBytesPerConnection; maxPendingFrames frames of maxPendingBytes in all waiting for
// a handler the benchmark holds; a send buffer filled to just under maxBufferedBytes while the
// client does not read. The client stays under the default rateLimit by pacing itself.
// Prints measured bytes per connection next to the bound the options set. Not a test: exits 1
// only if a connection did not reach a limit or was closed on the way.
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Connection } from '../lib/adapter/connection.js';
import { ConnectionRegistry } from '../lib/adapter/connection-registry.js';
import { DWS_BROKER } from '../lib/distributed-ws.constants.js';
import { DEFAULT_OPTIONS } from '../lib/distributed-ws.options.js';
import { Topic } from '../lib/index.js';
import { CommandProcess } from '../test/support/command-process.js';
import { heapAfterGc } from '../test/support/heap.js';
import { startTestApp } from '../test/support/test-app.js';
import { waitFor } from '../test/support/wait-for.js';
import { pendingWeight } from '../lib/adapter/frame-router.js';
import { jsonContainers } from '../lib/protocol/codec.js';
import { gatedFrame, SHAPE, TOPIC_LENGTH } from './memory-budget-frames.js';

const N = Number(process.env.MEM_CONNECTIONS ?? 50);
const {
  maxSubscriptions,
  maxTopicLength,
  maxPresenceInfoBytes,
  maxPresenceInfoBytesPerConnection,
  maxPendingFrames,
  maxPendingBytes,
  maxBufferedBytes,
} = DEFAULT_OPTIONS;
/** Presence subscriptions that fill the per-connection info total with infos of the largest size. */
const PRESENCE = Math.floor(maxPresenceInfoBytesPerConnection / maxPresenceInfoBytes);
const PLAIN = maxSubscriptions - PRESENCE;
/** What a connection's gated frames (ids 0 to maxPendingFrames - 1) of `bytes` bytes weigh. */
const gatedWeight = (bytes: number) => {
  let weight = 0;
  for (let id = 0; id < maxPendingFrames; id++) {
    const text = gatedFrame(id, bytes);
    weight += pendingWeight(bytes, jsonContainers(text, Infinity), true);
  }
  return weight;
};
/** The largest gated frame of which `maxPendingFrames` fit in `maxPendingBytes`, by weight. */
function largestGatedBytes(): number {
  let low = 64;
  let high = Math.floor(maxPendingBytes / maxPendingFrames);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (gatedWeight(mid) <= maxPendingBytes) low = mid;
    else high = mid - 1;
  }
  return low;
}
const GATED_BYTES = Number(process.env.MEM_GATED_BYTES ?? largestGatedBytes());

/** What the `hold` handler waits on: opened by the benchmark once the clients are gone. */
@Injectable()
class HoldGate {
  reached = 0;
  private release!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));

  pass(): Promise<void> {
    this.reached++;
    return this.opened;
  }

  open(): void {
    this.release();
  }
}

@WebSocketGateway({ path: '/ws' })
@Topic('mem/{conn}/{n}/{pad}')
@Topic('room/{conn}/{n}/{pad}', { presence: { joinLeave: true } })
class MemoryBudgetGateway {
  constructor(private readonly gate: HoldGate) {}

  @SubscribeMessage('hold')
  async hold(@MessageBody() body: { pad?: unknown[] | string }): Promise<{ length: number }> {
    await this.gate.pass();
    return { length: body?.pad?.length ?? 0 };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
/** Progress on stderr: a run takes a minute or more on a busy machine. */
const progress = (step: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${step}\n`);

interface Snapshot {
  heap: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

/** Memory after the instance settled (presence windows flushed) and a full GC. */
async function snapshot(): Promise<Snapshot> {
  await sleep(500);
  const heap = heapAfterGc();
  const { external, arrayBuffers, rss } = process.memoryUsage();
  return { heap, external, arrayBuffers, rss };
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

const app = await startTestApp({}, { providers: [MemoryBudgetGateway, HoldGate] });
const registry = app.app.get(ConnectionRegistry);
const gate = app.app.get(HoldGate);
const broker = app.app.get(DWS_BROKER);

/** Bytes of topics and payloads in the embedded broker's log (Redis's memory with a Redis broker). */
function logBytes(): number {
  const logs = (
    broker as { logs?: { entries: { topic: string; payload: string }[]; head: number }[] }
  ).logs;
  let bytes = 0;
  for (const log of logs ?? []) {
    for (let i = log.head; i < log.entries.length; i++) {
      bytes += log.entries[i].topic.length + log.entries[i].payload.length;
    }
  }
  return bytes;
}

const problems: string[] = [];
const check = (ok: boolean, problem: string) => ok || problems.push(problem);
const connections = () => [...registry.values()];

const rows: { resource: string; delta: Snapshot; bound: number | null; note: string }[] = [];
const diff = (after: Snapshot, before: Snapshot): Snapshot => ({
  heap: after.heap - before.heap,
  external: after.external - before.external,
  arrayBuffers: after.arrayBuffers - before.arrayBuffers,
  rss: after.rss - before.rss,
});

/**
 * Fills each connection's send buffer with message frames of its own (as `sendToConnection`
 * would: a broadcast shares one buffer among its sockets) to just under `maxBufferedBytes`,
 * until the kernel's socket buffers take no more.
 * @returns bytes written per connection, on average.
 */
async function fillSendBuffers(targets: Connection[]): Promise<number> {
  let seq = 0;
  let written = 0;
  const frame = (id: string, size: number) => {
    const head = { event: 'message', data: { topic: `$dws/conn/${id}`, offset: `0:bench:${seq}` } };
    const base = JSON.stringify({ ...head, data: { ...head.data, payload: { pad: '' } } });
    seq++;
    return Buffer.from(
      JSON.stringify({
        ...head,
        data: { ...head.data, payload: { pad: 'x'.repeat(size - base.length) } },
      }),
    );
  };
  for (let round = 0; round < 20; round++) {
    const before = written;
    for (const connection of targets) {
      // 16 bytes of room for the WebSocket frame header, which `bufferedAmount` counts too.
      for (const size of [65_536, 4096, 512]) {
        while (connection.open && connection.ws.bufferedAmount + size + 16 <= maxBufferedBytes) {
          connection.send(frame(connection.id, size));
          written += size;
        }
      }
    }
    if (round > 0 && written - before < targets.length * 4096) break;
    await sleep(250);
  }
  return written / targets.length;
}

let clients: CommandProcess | null = null;
try {
  clients = await CommandProcess.start(
    'bench/memory-budget-client.ts',
    { MEM_URL: app.url() },
    'MEM_READY',
    60_000,
  );
  const command = async <T>(cmd: Record<string, unknown>): Promise<T> => {
    const answer = await clients!.command<T & { error?: string }>(cmd);
    if (answer.error) throw new Error(`client process: ${answer.error}`);
    return answer;
  };
  const baseline = await snapshot();
  const logAtStart = logBytes();

  progress('opening');
  // Idle: welcomed connections, nothing else.
  await command<{ ids: string[] }>({ cmd: 'open', count: N });
  await waitFor(() => registry.size === N, { message: `${N} connections registered` });
  const idle = await snapshot();
  rows.push({ resource: 'idle connection', delta: diff(idle, baseline), bound: null, note: '' });

  progress('subscribing');
  const subscribedAt = Date.now();
  const plain = await command<{ acked: number; retried: number; errors: unknown[] }>({
    cmd: 'subscribe',
    plain: PLAIN,
    presence: 0,
    infoBytes: 0,
  });
  check(plain.acked === N * PLAIN, `subscriptions: ${JSON.stringify(plain)}`);
  const subscribed = await snapshot();
  rows.push({
    resource: `${PLAIN} subscriptions of ${TOPIC_LENGTH} chars`,
    delta: diff(subscribed, idle),
    bound: PLAIN * maxTopicLength,
    note: "bound: the topics' characters",
  });

  progress('presence');
  const presence = await command<{ presenceAcked: number; retried: number; errors: unknown[] }>({
    cmd: 'subscribe',
    plain: 0,
    presence: PRESENCE,
    infoBytes: maxPresenceInfoBytes,
  });
  check(presence.presenceAcked === N * PRESENCE, `presence: ${JSON.stringify(presence)}`);
  const subscribeSeconds = (Date.now() - subscribedAt) / 1000;
  for (const c of connections()) {
    check(c.filters.size === maxSubscriptions, `${c.id} holds ${c.filters.size} subscriptions`);
  }
  const withPresence = await snapshot();
  const presenceLog = logBytes() - logAtStart;
  rows.push({
    resource: `presence: ${PRESENCE} × ${maxPresenceInfoBytes} B info`,
    delta: diff(withPresence, subscribed),
    bound: maxPresenceInfoBytesPerConnection + PRESENCE * maxTopicLength,
    note: "bound: info total + topics; includes the broker log's join entries",
  });

  progress('pending frames');
  // Frames waiting for the held handler: both pending limits reached exactly (they are inclusive).
  const gated = await command<{ sent: number }>({
    cmd: 'gated',
    frames: maxPendingFrames,
    bytes: GATED_BYTES,
  });
  await waitFor(() => gate.reached === N * maxPendingFrames, {
    timeout: 30_000,
    message: `${N * maxPendingFrames} held frames (sent ${gated.sent})`,
  }).catch(async (error: Error) => {
    const held = connections().map((c) => `${c.pendingFrames}/${c.pendingBytes}`);
    const state = await command({ cmd: 'state' });
    throw new Error(
      `${error.message}: ${gate.reached} reached, ${registry.size} connections, ` +
        `pending ${held.slice(0, 5).join(' ')}…, clients ${JSON.stringify(state)}`,
    );
  });
  for (const c of connections()) {
    check(
      c.pendingFrames === maxPendingFrames &&
        c.pendingBytes <= maxPendingBytes &&
        c.pendingBytes > maxPendingBytes - maxPendingFrames * 64,
      `${c.id} pending ${c.pendingFrames} frames / ${c.pendingBytes} B of weight`,
    );
  }
  const pending = await snapshot();
  rows.push({
    resource: `pending: ${maxPendingFrames} frames × ${GATED_BYTES} B`,
    delta: diff(pending, withPresence),
    bound: maxPendingBytes,
    note: 'bound: maxPendingBytes, by weight (bytes + 64 per container + 9 KiB per event)',
  });

  progress('send buffers');
  // Send buffers: the clients stop reading, the instance writes until just under the limit.
  await command({ cmd: 'pause' });
  const writtenPerConnection = await fillSendBuffers(connections());
  const buffered = connections().map((c) => c.ws.bufferedAmount);
  const full = await snapshot();
  rows.push({
    resource: `send buffer (written ${mib(writtenPerConnection)} MiB)`,
    delta: diff(full, pending),
    bound: maxBufferedBytes,
    note: `buffered ${mib(Math.min(...buffered))}–${mib(Math.max(...buffered))} MiB; the kernel holds the rest`,
  });
  const state = await command<{ open: number; closes: Record<string, number> }>({ cmd: 'state' });
  check(
    state.open === N && registry.size === N,
    `after filling: ${state.open} open, closes ${JSON.stringify(state.closes)}`,
  );
  const total = diff(full, idle);
  const totalBound = rows.reduce((sum, row) => sum + (row.bound ?? 0), 0);

  progress('closing');
  // Everything let go: the clients leave, the held handlers are released.
  await clients.stop();
  clients = null;
  await waitFor(() => registry.size === 0, { timeout: 30_000, message: 'every connection gone' });
  gate.open();
  await sleep(1000);
  const after = await snapshot();
  const logAtEnd = logBytes();

  const line = (cells: string[], widths: number[]) =>
    cells
      .map((cell, k) => (k === 0 ? cell.padEnd(widths[k]) : cell.padStart(widths[k])))
      .join('  ');
  const widths = [40, 10, 10, 10, 10, 10];
  const out: string[] = [
    `memory budget: ${N} connections, MEM_SHAPE=${SHAPE}, every default (embedded broker; ` +
      `rateLimit 100/s burst 200: the clients pace themselves at 90/s, subscribing took ${subscribeSeconds.toFixed(1)} s)`,
    `baseline after GC: heap ${mib(baseline.heap)} MiB, external ${mib(baseline.external)} MiB ` +
      `(arrayBuffers ${mib(baseline.arrayBuffers)}), RSS ${mib(baseline.rss)} MiB`,
    '',
    'per connection, KiB (deltas over the previous step divided by N):',
    line(['resource', 'heap', 'external', 'heap+ext', 'RSS', 'bound'], widths),
  ];
  for (const row of [
    ...rows,
    { resource: 'total over idle', delta: total, bound: totalBound, note: '' },
  ]) {
    const d = row.delta;
    out.push(
      line(
        [
          row.resource,
          kib(d.heap / N),
          kib(d.external / N),
          kib((d.heap + d.external) / N),
          kib(d.rss / N),
          row.bound === null ? '–' : kib(row.bound),
        ],
        widths,
      ) + (row.note ? `   ${row.note}` : ''),
    );
  }
  const worst = total.heap + total.external + rows[0].delta.heap + rows[0].delta.external;
  out.push(
    '',
    `worst case per connection (idle + total, heap+external): ${mib(worst / N)} MiB; ` +
      `× maxConnections (${DEFAULT_OPTIONS.maxConnections}) = ${(((worst / N) * DEFAULT_OPTIONS.maxConnections) / 1024 ** 3).toFixed(1)} GiB`,
    `embedded broker log: ${kib(presenceLog / N)} KiB per connection of presence announcements ` +
      `(${mib(logAtEnd - logAtStart)} MiB at the end; Redis holds it with a Redis broker)`,
    `after every client left and the handlers were released, over the baseline: ` +
      `heap ${mib(after.heap - baseline.heap)} MiB, external ${mib(after.external - baseline.external)} MiB, ` +
      `RSS ${mib(after.rss - baseline.rss)} MiB (peak RSS over baseline ${mib(full.rss - baseline.rss)} MiB)`,
  );
  for (const problem of problems.slice(0, 10)) out.push(`PROBLEM ${problem}`);
  process.stdout.write(out.join('\n') + '\n');
} finally {
  await clients?.stop();
  gate.open();
  await app.close();
}
process.exit(problems.length === 0 ? 0 : 1);

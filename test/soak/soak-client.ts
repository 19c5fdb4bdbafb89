// One client process of the soak: SOAK_COUNT SDK clients (indexes SOAK_FIRST…), each with the
// subscriptions `patternsOf(index)` gives, recording what arrives per topic.
// Env: SOAK_URLS (comma list; client i starts at URL i mod n), SOAK_FIRST, SOAK_COUNT,
// SOAK_EXACT_TOPICS, SOAK_WILDCARD_TOPICS, SOAK_SDK_OPTIONS (JSON, passed to connect()).
// stdout: "SOAK_CLIENTS_READY" once every subscription is accepted, then one JSON line per
// command read from stdin (test/support/command-process.ts): stats | pending | report | close.
import { createHash, type Hash } from 'node:crypto';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { connect, type DistributedWsClient } from '../../lib/client/index.js';
import { patternsOf, topicsOf } from './soak-topics.js';
import type { ClientCounters, ClientProcessReport } from './soak-verify.js';

interface TopicLog {
  count: number;
  /** SHA-1 of the received sequence `from:seq;…`: equal hashes, equal sequences. */
  hash: Hash;
  /** Newest seq per publisher, to spot a duplicate or a reordering as it happens. */
  newest: Map<string, number>;
  /** The whole sequence, kept for this process's first few clients of the topic only. */
  list?: [string, number][];
}

interface SoakClient extends ClientCounters {
  sdk: DistributedWsClient;
  url: string | null;
  logs: Map<string, TopicLog>;
}

const urls = process.env.SOAK_URLS!.split(',');
const first = Number(process.env.SOAK_FIRST);
const count = Number(process.env.SOAK_COUNT);
const counts = {
  exactTopics: Number(process.env.SOAK_EXACT_TOPICS),
  wildcardTopics: Number(process.env.SOAK_WILDCARD_TOPICS),
};
// Extra SDK options (SOAK_SDK_OPTIONS, JSON), to compare e.g. reconnect delays; none by default.
const sdkOptions = JSON.parse(process.env.SOAK_SDK_OPTIONS ?? '{}');
const clients: SoakClient[] = [];
// Clients per topic (and process) that keep their whole sequence: the verdict needs one that
// went through the run without trouble.
const REFERENCE_CANDIDATES = 3;
const candidates = new Map<string, number>();

function note(list: string[], what: string): void {
  if (list.length < 5) list.push(what);
}

function receive(client: SoakClient, payload: { from: string; seq: number }, topic: string): void {
  const log = client.logs.get(topic);
  if (!log) return note(client.violations, `message of unsubscribed topic ${topic}`);
  const newest = log.newest.get(payload.from) ?? -1;
  if (payload.seq <= newest) {
    note(client.violations, `${topic}: ${payload.from}#${payload.seq} after #${newest}`);
  }
  log.newest.set(payload.from, Math.max(newest, payload.seq));
  log.count++;
  log.hash.update(`${payload.from}:${payload.seq};`);
  log.list?.push([payload.from, payload.seq]);
}

function start(index: number): Promise<unknown> {
  const rotated = urls.map((_, k) => urls[(index + k) % urls.length]);
  const logs = new Map<string, TopicLog>();
  for (const topic of topicsOf(index, counts)) {
    const isReference = (candidates.get(topic) ?? 0) < REFERENCE_CANDIDATES;
    candidates.set(topic, (candidates.get(topic) ?? 0) + 1);
    logs.set(topic, {
      count: 0,
      hash: createHash('sha1'),
      newest: new Map(),
      ...(isReference ? { list: [] } : {}),
    });
  }
  const client = {
    ...{ index, url: null, logs, connects: 0, attempts: 0, resumes: 0, disconnects: 0 },
    ...{ notRecovered: [], errors: [], violations: [] },
  } as Omit<SoakClient, 'sdk'> as SoakClient;
  // Notes the URL of every socket the SDK opens: `connected` then tells which instance it is on.
  let opening: string | null = null;
  class RecordingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      opening = url;
      client.attempts++;
    }
  }
  client.sdk = connect({ ...sdkOptions, url: rotated, WebSocket: RecordingWebSocket });
  client.sdk.on('connected', (event) => {
    client.url = opening;
    client.connects++;
    if (event.resumed) client.resumes++;
  });
  client.sdk.on('disconnected', () => client.disconnects++);
  client.sdk.on('notRecovered', (event) =>
    client.notRecovered.push(
      event.error ? `${event.reason} (${event.error.code}: ${event.error.message})` : event.reason,
    ),
  );
  client.sdk.on('error', (error) => note(client.errors, `${error.code}: ${error.message}`));
  clients.push(client);
  return Promise.all(
    patternsOf(index, counts).map(
      (pattern) =>
        client.sdk.subscribe(pattern, (payload, meta) =>
          receive(client, payload as any, meta.topic),
        ).ready,
    ),
  );
}

/** How many clients lack, on some topic, a publisher's message `last[topic][from]`. */
function pending(last: Record<string, Record<string, number>>): {
  pending: number;
  sample: string[];
} {
  const sample: string[] = [];
  let behind = 0;
  for (const client of clients) {
    const missing = [...client.logs].find(([topic, log]) =>
      Object.entries(last[topic] ?? {}).some(([from, seq]) => (log.newest.get(from) ?? -1) < seq),
    );
    if (missing) {
      behind++;
      note(sample, `client ${client.index} on ${missing[0]} (${client.sdk.state})`);
    }
  }
  return { pending: behind, sample };
}

function stats() {
  const perUrl: Record<string, number> = {};
  let connected = 0;
  for (const client of clients) {
    if (client.sdk.state !== 'connected') continue;
    connected++;
    perUrl[client.url!] = (perUrl[client.url!] ?? 0) + 1;
  }
  return { connected, perUrl };
}

function report(): ClientProcessReport {
  const references: Record<string, [string, number][]> = {};
  const summaries = clients.map((client) => {
    const topics: Record<string, { count: number; hash: string }> = {};
    for (const [topic, log] of client.logs) {
      topics[topic] = { count: log.count, hash: log.hash.copy().digest('hex') };
      const clean = client.notRecovered.length === 0 && client.violations.length === 0;
      if (log.list && clean) references[topic] ??= log.list;
    }
    const { index, connects, attempts, resumes, disconnects, notRecovered, errors, violations } =
      client;
    return {
      ...{ index, topics, connects, attempts, resumes, disconnects },
      ...{ notRecovered, errors, violations },
    };
  });
  return { clients: summaries, references };
}

// A batch at a time, so that the instances' accept queues are not flooded.
for (let i = first; i < first + count; i += 50) {
  const batch: Promise<unknown>[] = [];
  for (let j = i; j < Math.min(first + count, i + 50); j++) batch.push(start(j));
  await Promise.all(batch);
}
process.stdout.write('SOAK_CLIENTS_READY\n');

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as {
    cmd: string;
    last?: Record<string, Record<string, number>>;
  };
  if (command.cmd === 'close') {
    clients.forEach((c) => c.sdk.close());
    process.stdout.write('{}\n', () => process.exit(0));
    return;
  }
  const answer =
    command.cmd === 'stats'
      ? stats()
      : command.cmd === 'pending'
        ? pending(command.last!)
        : report();
  process.stdout.write(JSON.stringify(answer) + '\n');
});

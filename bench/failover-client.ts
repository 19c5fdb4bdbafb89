// One client process of bench/failover.ts: FO_COUNT SDK clients, each subscribed to one topic
// `orders/<n>/status` (n = (FO_FIRST + i) % FO_TOPICS), given every instance's URL (FO_URLS,
// comma list; the first is where it connects first, the others in a per-client order).
// stdout: "FO_READY" once all are subscribed, then one JSON line per command read from stdin:
// {"cmd":"phase","at":ms} starts a wave (latency counted only on clients not disconnected since),
// {"cmd":"back"} (how many are connected and, if they reconnected, recovered),
// {"cmd":"report","last":{topic: lastSeq}} | {"cmd":"close"}.
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { connect, type DistributedWsClient } from '../lib/client/index.js';

const urls = process.env.FO_URLS!.split(',');
const count = Number(process.env.FO_COUNT);
const first = Number(process.env.FO_FIRST ?? 0);
const topics = Number(process.env.FO_TOPICS ?? 100);

interface Client {
  sdk: DistributedWsClient;
  topic: string;
  seqs: Map<number, number>;
  connected: boolean;
  /** Disconnected since the current phase started. */
  moved: boolean;
  backAt: number;
  notRecovered: number;
}

/** Latency histogram of the current phase, 1 ms buckets up to 10 s. */
let latency = new Uint32Array(10_001);
/** The same, from the moment Redis appended the message (its stream id) to delivery. */
let fromAppend = new Uint32Array(10_001);
let phaseAt = 0;
const clients: Client[] = [];

function open(i: number): Promise<void> {
  const others = urls.slice(1);
  const k = others.length > 0 ? i % others.length : 0;
  const order = [urls[0], ...others.slice(k), ...others.slice(0, k)];
  const sdk = connect({ url: order, WebSocket: WebSocket as any });
  const client: Client = {
    sdk,
    topic: `orders/${(first + i) % topics}/status`,
    seqs: new Map(),
    connected: false,
    moved: false,
    backAt: 0,
    notRecovered: 0,
  };
  clients.push(client);
  sdk.on('connected', (e) => {
    client.connected = true;
    if (e.resumed && e.recovered) client.backAt = Date.now();
  });
  sdk.on('disconnected', () => {
    client.connected = false;
    client.moved = true;
  });
  sdk.on('notRecovered', () => client.notRecovered++);
  return sdk.subscribe(client.topic, (payload: any, { offset }) => {
    client.seqs.set(payload.seq, (client.seqs.get(payload.seq) ?? 0) + 1);
    if (client.moved) return;
    const now = Date.now();
    latency[Math.min(10_000, Math.max(0, now - payload.at))]++;
    // The stream id's milliseconds: when Redis appended it (same host clock).
    const appended = Number(offset.slice(offset.lastIndexOf(':') + 1, offset.lastIndexOf('-')));
    fromAppend[Math.min(10_000, Math.max(0, now - appended))]++;
  }).ready as Promise<void>;
}

for (let i = 0; i < count; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => open(i + j)));
}
process.stdout.write('FO_READY\n');

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  let answer: unknown = {};
  if (command.cmd === 'phase') {
    phaseAt = command.at;
    latency = new Uint32Array(10_001);
    fromAppend = new Uint32Array(10_001);
    for (const c of clients) {
      c.moved = !c.connected;
      c.backAt = 0;
    }
  } else if (command.cmd === 'back') {
    const moved = clients.filter((c) => c.moved);
    answer = {
      moved: moved.length,
      back: moved.filter((c) => c.connected && c.backAt > 0).length,
      backMs: moved.filter((c) => c.backAt > 0).map((c) => c.backAt - phaseAt),
      latency: Array.from(latency),
      fromAppend: Array.from(fromAppend),
    };
  } else if (command.cmd === 'report') {
    let lost = 0;
    let duplicated = 0;
    let notRecovered = 0;
    for (const c of clients) {
      const last = command.last[c.topic] ?? -1;
      for (let seq = 0; seq <= last; seq++) {
        const n = c.seqs.get(seq) ?? 0;
        if (n === 0) lost++;
        else duplicated += n - 1;
      }
      notRecovered += c.notRecovered;
    }
    answer = { lost, duplicated, notRecovered };
  } else if (command.cmd === 'close') {
    for (const c of clients) c.sdk.close();
    process.stdout.write('{}\n');
    process.exit(0);
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

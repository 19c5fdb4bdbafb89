// A client process of the benchmark: opens COUNT connections spread over URLS (comma list),
// subscribes each to the bench topic, and records per-connection receipts.
// Env: KIND = dws | sio | raw, URLS, COUNT, MAX_SEQ (highest seq that can arrive + 1).
// stdout: "BENCH_READY" once every connection is subscribed; on "report" (stdin line) one JSON
// line {received, unique, duplicates, latenciesUs[]}; on "count" the same without latencies.
import { createInterface } from 'node:readline';
import { io as sioConnect, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { TOPIC } from './common.js';

const kind = process.env.KIND as 'dws' | 'sio' | 'raw';
const urls = process.env.URLS!.split(',');
const count = Number(process.env.COUNT);
const maxSeq = Number(process.env.MAX_SEQ ?? 100_000);

let received = 0;
let duplicates = 0;
const latenciesUs: number[] = [];
const opened: (WebSocket | Socket)[] = [];

/** One receipt: `seen` is this connection's bitmap of sequence numbers. */
function receipt(seen: Uint8Array, payload: { seq: number; t: string }): void {
  const now = process.hrtime.bigint();
  received++;
  if (seen[payload.seq]) {
    duplicates++;
    return;
  }
  seen[payload.seq] = 1;
  latenciesUs.push(Number(now - BigInt(payload.t)) / 1000);
}

function connectDws(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const seen = new Uint8Array(maxSeq);
    const ws = new WebSocket(url);
    opened.push(ws);
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString());
      if (frame.event === 'message') receipt(seen, frame.data.payload);
      else if (frame.event === 'welcome')
        ws.send(JSON.stringify({ event: 'subscribe', id: 1, data: { topic: TOPIC } }));
      else if (frame.event === 'ack' && frame.id === 1) resolve();
      else if (frame.event === 'error') reject(new Error(JSON.stringify(frame)));
    });
  });
}

function connectRaw(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const seen = new Uint8Array(maxSeq);
    const ws = new WebSocket(url);
    opened.push(ws);
    ws.on('error', reject);
    ws.on('open', () => resolve());
    ws.on('message', (data: Buffer) => receipt(seen, JSON.parse(data.toString())));
  });
}

function connectSio(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const seen = new Uint8Array(maxSeq);
    const socket = sioConnect(url, { transports: ['websocket'], reconnection: false });
    opened.push(socket);
    socket.on('connect_error', reject);
    socket.on('message', (payload: { seq: number; t: string }) => receipt(seen, payload));
    socket.on('connect', () => socket.emit('subscribe', TOPIC, () => resolve()));
  });
}

const connect = { dws: connectDws, raw: connectRaw, sio: connectSio }[kind];
// Open connections a batch at a time so the servers' accept queues are not flooded.
for (let i = 0; i < count; i += 50) {
  const batch: Promise<void>[] = [];
  for (let j = i; j < Math.min(count, i + 50); j++) batch.push(connect(urls[j % urls.length]));
  await Promise.all(batch);
}
process.stdout.write('BENCH_READY\n');

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  if (command !== 'report' && command !== 'count') return;
  const unique = received - duplicates;
  const report = {
    received,
    unique,
    duplicates,
    latenciesUs: command === 'report' ? latenciesUs : [],
  };
  process.stdout.write(JSON.stringify(report) + '\n');
});
process.stdin.once('end', () => {
  for (const c of opened) (c as any).close?.();
  process.exit(0);
});

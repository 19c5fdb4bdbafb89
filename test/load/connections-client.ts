// One client process of the connections load test: CONN_COUNT raw `ws` connections to CONN_URL,
// opened CONN_BATCH at a time, each subscribed (even ones to LOAD_TOPIC, odd ones to
// LOAD_PATTERN, which matches it) before the next batch starts.
// stdout: "CONN_READY" once all are subscribed, then one JSON line per command read from stdin:
// {"cmd":"timing"} | {"cmd":"pending","count":n} | {"cmd":"report","count":n} | {"cmd":"close"}.
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { LOAD_PATTERN, LOAD_TOPIC } from './connections-topics.js';

interface Receiver {
  ws: WebSocket;
  /** The `seq` of every message, in arrival order. */
  seqs: number[];
  closedWith: number | null;
}

const url = process.env.CONN_URL!;
const count = Number(process.env.CONN_COUNT);
const batch = Number(process.env.CONN_BATCH ?? 100);
const receivers: Receiver[] = [];

function open(index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const receiver: Receiver = { ws: new WebSocket(url), seqs: [], closedWith: null };
    receivers.push(receiver);
    const topic = index % 2 === 0 ? LOAD_TOPIC : LOAD_PATTERN;
    receiver.ws.on('error', reject);
    receiver.ws.on('close', (code) => {
      receiver.closedWith = code;
      reject(new Error(`connection ${index} closed with ${code} before it was subscribed`));
    });
    receiver.ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString());
      if (frame.event === 'message') receiver.seqs.push(frame.data.payload.seq);
      else if (frame.event === 'welcome') {
        receiver.ws.send(JSON.stringify({ event: 'subscribe', id: 1, data: { topic } }));
      } else if (frame.event === 'ack' && frame.id === 1) resolve();
      else if (frame.event === 'error') reject(new Error(JSON.stringify(frame.data)));
    });
  });
}

const startedAt = Date.now();
for (let i = 0; i < count; i += batch) {
  const opening: Promise<void>[] = [];
  for (let j = i; j < Math.min(count, i + batch); j++) opening.push(open(j));
  await Promise.all(opening);
}
const readyAt = Date.now();
process.stdout.write('CONN_READY\n');

/** Connections that did not receive exactly seq 0 … expected-1, once each, in order. */
function report(expected: number) {
  const wrong = receivers.filter(
    (r) => r.seqs.length !== expected || r.seqs.some((seq, k) => seq !== k),
  );
  return {
    connections: receivers.length,
    open: receivers.filter((r) => r.ws.readyState === WebSocket.OPEN).length,
    received: receivers.reduce((n, r) => n + r.seqs.length, 0),
    wrong: wrong.length,
    sample: wrong.slice(0, 3).map((r) => ({ seqs: r.seqs.slice(0, 40), closedWith: r.closedWith })),
  };
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as { cmd: string; count?: number };
  let answer: unknown;
  if (command.cmd === 'timing') answer = { startedAt, readyAt };
  else if (command.cmd === 'pending') {
    answer = { pending: receivers.filter((r) => r.seqs.length < command.count!).length };
  } else if (command.cmd === 'report') answer = report(command.count!);
  else {
    receivers.forEach((r) => r.ws.terminate());
    process.stdout.write('{}\n', () => process.exit(0));
    return;
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
});

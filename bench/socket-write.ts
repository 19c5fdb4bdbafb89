// `npm run bench:write`: the per-socket cost of one delivery, isolated. A `ws` server in this
// process holds C connections from a client process and sends the same ~250-byte message frame
// to all of them, M times, three ways: `ws.send(string)` (what a plain ws loop does),
// `ws.send(buffer)` (one serialization shared by all sockets, ws frames it per socket) and one
// prebuilt frame written to each TCP socket (lib/adapter/text-frame.ts, what delivery does now).
// Prints this process's CPU µs per delivery (user+sys, getrusage), best of 3 rounds per way.
// Env: BENCH_CLIENTS (1000), BENCH_MESSAGES (200).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { textFrame } from '../lib/adapter/text-frame.js';
import { encodeMessage } from '../lib/protocol/codec.js';
import { benchPayload } from './common.js';

const C = Number(process.env.BENCH_CLIENTS ?? 1000);
const M = Number(process.env.BENCH_MESSAGES ?? 200);

if (process.argv[2] === 'client') {
  // Client process: opens C sockets, counts frames, reports the count when asked.
  const url = process.argv[3];
  let received = 0;
  const sockets = await Promise.all(
    Array.from({ length: C }, async () => {
      const ws = new WebSocket(url);
      ws.on('message', () => received++);
      await once(ws, 'open');
      return ws;
    }),
  );
  process.send!('ready');
  process.on('message', (m) => {
    if (m === 'count') process.send!(received);
    if (m === 'exit') {
      sockets.forEach((ws) => ws.terminate());
      process.exit(0);
    }
  });
} else {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  const port = (wss.address() as { port: number }).port;
  const client = fork(new URL(import.meta.url).pathname, ['client', `ws://127.0.0.1:${port}`], {
    execArgv: process.execArgv,
  });
  await once(client, 'message');
  const sockets = [...wss.clients];
  const count = async () => {
    client.send('count');
    return (await once(client, 'message'))[0] as number;
  };
  const text = encodeMessage('orders/1/status', JSON.stringify(benchPayload(1)), '3:abcd1234:1-0');
  const payload = Buffer.from(text);
  const frame = textFrame(payload);
  const ways: Record<string, (ws: WebSocket) => void> = {
    'ws.send(string) per socket': (ws) => ws.send(text),
    'ws.send(shared buffer)': (ws) => ws.send(payload, { binary: false }),
    'prebuilt frame, socket.write': (ws) =>
      (ws as unknown as { _socket: Socket })._socket.write(frame),
  };
  const rows: string[] = [];
  for (const [name, send] of Object.entries(ways)) {
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const expected = (await count()) + M * C;
      const before = process.cpuUsage();
      for (let m = 0; m < M; m++) {
        for (const ws of sockets) send(ws);
        // One event-loop turn per message, as deliveries come one reader batch at a time.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const used = process.cpuUsage(before);
      best = Math.min(best, (used.user + used.system) / (M * C));
      while ((await count()) < expected) await new Promise((r) => setTimeout(r, 20));
    }
    rows.push(`| ${name} | ${best.toFixed(2)} |`);
  }
  console.log(`${C} sockets × ${M} messages of ${payload.length} bytes, best of 3\n`);
  console.log('| way | server CPU µs per delivery |\n|---|---:|\n' + rows.join('\n'));
  client.send('exit');
  wss.close();
}

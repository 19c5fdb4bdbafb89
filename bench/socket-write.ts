// `npm run bench:write`: the per-socket cost of one delivery, isolated. A `ws` server in this
// process holds C connections from a client process and sends the same ~250-byte message frame
// to all of them, M times, four ways: `ws.send(string)` (what a plain ws loop does),
// `ws.send(buffer)` (one serialization shared by all sockets, ws frames it per socket), one
// prebuilt frame (lib/adapter/text-frame.ts) written to each TCP socket with `socket.write`, and
// the same frame through `writeDirect` (lib/adapter/direct-write.ts, what delivery does now).
// Prints this process's CPU µs per delivery (user+sys and user, getrusage), median and best of
// ROUNDS rounds; a round runs every way once, in an order that alternates between rounds, so
// that no way always runs first or last.
// Env: BENCH_CLIENTS (1000), BENCH_MESSAGES (200), BENCH_ROUNDS (7).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { directFd, writeDirect } from '../lib/adapter/direct-write.js';
import { textFrame } from '../lib/adapter/text-frame.js';
import { encodeMessage } from '../lib/protocol/codec.js';
import { benchPayload } from './common.js';

const C = Number(process.env.BENCH_CLIENTS ?? 1000);
const M = Number(process.env.BENCH_MESSAGES ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

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
  const raw = sockets.map((ws) => (ws as unknown as { _socket: Socket })._socket);
  const fds = raw.map(directFd);
  const ways: Record<string, (i: number) => void> = {
    'ws.send(string) per socket': (i) => sockets[i].send(text),
    'ws.send(shared buffer)': (i) => sockets[i].send(payload, { binary: false }),
    'prebuilt frame, socket.write': (i) => raw[i].write(frame),
    'prebuilt frame, writeDirect': (i) => writeDirect(raw[i], fds[i], frame),
  };
  const names = Object.keys(ways);
  const total = new Map<string, number[]>(names.map((name) => [name, []]));
  const user = new Map<string, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : names.slice().reverse()) {
      const send = ways[name];
      const expected = (await count()) + M * C;
      const before = process.cpuUsage();
      for (let m = 0; m < M; m++) {
        for (let i = 0; i < sockets.length; i++) send(i);
        // One event-loop turn per message, as deliveries come one reader batch at a time.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const used = process.cpuUsage(before);
      total.get(name)!.push((used.user + used.system) / (M * C));
      user.get(name)!.push(used.user / (M * C));
      while ((await count()) < expected) await new Promise((r) => setTimeout(r, 20));
    }
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  const rows = names.map((name) => {
    const [t, u] = [total.get(name)!, user.get(name)!];
    const cells = [median(t), Math.min(...t), median(u)].map((x) => x.toFixed(2));
    return `| ${name} | ${cells.join(' | ')} |`;
  });
  console.log(`${C} sockets × ${M} messages of ${payload.length} bytes, ${ROUNDS} rounds\n`);
  console.log(
    '| way | CPU µs per delivery, median | best | user mode µs, median |\n|---|---:|---:|---:|\n' +
      rows.join('\n'),
  );
  client.send('exit');
  wss.close();
}

// System (3): Socket.IO 4.8 with @socket.io/redis-streams-adapter (env BROKER = redis URL).
// Clients emit ("subscribe", topic, ack) to join the room; POST /publish {topic, payload}
// emits "message" to the room on every instance. Prints "BENCH_READY <port>".
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

// The adapter was written against ioredis 5: keep v5 reply shapes for XREAD/XRANGE.
const redis = new Redis(process.env.BROKER ?? 'redis://127.0.0.1:6379', {
  replyMapping: 'legacy',
} as any);

const http = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/publish') return; // socket.io handles its own paths
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const { topic, payload } = JSON.parse(body);
    io.to(topic).emit('message', payload);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
const io = new Server(http, { transports: ['websocket'], adapter: createAdapter(redis as any) });
io.on('connection', (socket) => {
  socket.on('subscribe', (topic: string, ack?: (ok: boolean) => void) => {
    void socket.join(topic);
    ack?.(true);
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`BENCH_READY ${(http.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => process.exit(0));

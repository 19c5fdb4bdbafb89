// The client process of `npm run bench:memory` (bench/memory-budget.ts): MEM_URL is the
// instance's WebSocket address. The clients live in their own process so that what they hold
// (sockets, parsed answers) is not counted in the instance's memory.
// stdout: "MEM_READY", then one JSON line per command read from stdin:
// {"cmd":"open","count":n}                      → {ids}: n connections, welcomed
// {"cmd":"subscribe","plain":n,"presence":n,"infoBytes":n} → {acked, presenceAcked, retried, errors}
// {"cmd":"gated","frames":n,"bytes":n}          → {sent}: n `hold` events of exactly `bytes` each
// {"cmd":"pause"}                               → {paused}: every socket stops reading
// {"cmd":"state"}                               → {open, closes}
// {"cmd":"close"}                               → terminates every socket and exits
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { gatedFrame, plainTopic, presenceInfo, presenceTopic } from './memory-budget-frames.js';

// The default rate limit is 100 frames/s with a burst of 200 per connection: the client spends
// less (90/s after a burst of 180), so that no frame of the benchmark is refused.
const RATE_PER_SECOND = 90;
const RATE_BURST = 180;

interface Client {
  index: number;
  ws: WebSocket;
  closedWith: number | null;
  /** Answers awaited, by frame id. */
  waiting: Map<number, (frame: Answer) => void>;
  nextId: number;
  /** Frame budget mirrored from the server's bucket. */
  tokens: number;
  refilledAt: number;
}

interface Answer {
  event: string;
  id?: number;
  data: { code?: string; presence?: boolean; retryAfterMs?: number };
}

const url = process.env.MEM_URL!;
const clients: Client[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function open(index: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const client: Client = {
      index,
      ws: new WebSocket(url),
      closedWith: null,
      waiting: new Map(),
      nextId: 1,
      tokens: RATE_BURST,
      refilledAt: Date.now(),
    };
    clients.push(client);
    client.ws.on('error', reject);
    client.ws.on('close', (code) => {
      client.closedWith = code;
      // Whatever was awaited gets no answer now: report the close instead of waiting forever.
      for (const answer of client.waiting.values()) {
        answer({ event: 'closed', data: { code: String(code) } });
      }
      client.waiting.clear();
    });
    client.ws.on('message', (data: Buffer) => {
      // Only what is awaited is parsed: everything else (presence, messages) is dropped.
      if (data.length > 8192) return;
      const frame = JSON.parse(data.toString()) as Answer & { data: { connectionId?: string } };
      if (frame.event === 'welcome') resolve(frame.data.connectionId!);
      else if (frame.id !== undefined) {
        const answer = client.waiting.get(frame.id);
        client.waiting.delete(frame.id);
        answer?.(frame);
      }
    });
  });
}

/** Waits until the connection's mirrored bucket holds a token, then spends it. */
async function spend(client: Client): Promise<void> {
  for (;;) {
    const now = Date.now();
    client.tokens = Math.min(
      RATE_BURST,
      client.tokens + ((now - client.refilledAt) / 1000) * RATE_PER_SECOND,
    );
    client.refilledAt = now;
    if (client.tokens >= 1) {
      client.tokens -= 1;
      return;
    }
    await sleep(Math.ceil(((1 - client.tokens) / RATE_PER_SECOND) * 1000));
  }
}

/** Sends a request paced by the budget; resends it after `retryAfterMs` if it was still refused. */
async function request(
  client: Client,
  event: string,
  data: unknown,
  stats: { retried: number },
): Promise<Answer> {
  for (;;) {
    await spend(client);
    const id = client.nextId++;
    if (client.closedWith !== null)
      return { event: 'closed', data: { code: `${client.closedWith}` } };
    const answer = new Promise<Answer>((resolve) => {
      const timer = setTimeout(
        () => resolve({ event: 'timeout', id, data: { code: 'no answer in 30 s' } }),
        30_000,
      );
      client.waiting.set(id, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
    client.ws.send(JSON.stringify({ event, id, data }));
    const frame = await answer;
    if (frame.event !== 'error' || frame.data.code !== 'DWS_ERR_RATE_LIMITED') return frame;
    stats.retried++;
    await sleep(frame.data.retryAfterMs ?? 100);
  }
}

/** Subscribes every connection to its topics, up to 32 requests in flight per connection (as the SDK). */
async function subscribeAll(plain: number, presence: number, infoBytes: number) {
  const stats = { acked: 0, presenceAcked: 0, retried: 0, errors: [] as unknown[] };
  const info = presence > 0 ? presenceInfo(infoBytes) : null;
  await Promise.all(
    clients.map(async (client) => {
      const requests: { topic: string; info?: unknown }[] = [
        ...Array.from({ length: plain }, (_, k) => ({ topic: plainTopic(client.index, k) })),
        ...Array.from({ length: presence }, (_, k) => ({
          topic: presenceTopic(client.index, k),
          info,
        })),
      ];
      let next = 0;
      const lane = async () => {
        while (next < requests.length) {
          const frame = await request(client, 'subscribe', requests[next++], stats);
          if (frame.event !== 'ack') stats.errors.push(frame.data);
          else if (frame.data.presence === true) stats.presenceAcked++;
          else stats.acked++;
        }
      };
      await Promise.all(Array.from({ length: 32 }, lane));
    }),
  );
  stats.errors = stats.errors.slice(0, 5);
  return stats;
}

/** Sends `frames` gated events per connection, paced by the budget; their answers never come. */
async function sendGated(frames: number, bytes: number): Promise<number> {
  let sent = 0;
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < frames; i++) {
        await spend(client);
        client.ws.send(gatedFrame(i, bytes));
        sent++;
      }
    }),
  );
  return sent;
}

const readyLine = 'MEM_READY\n';
process.stdout.write(readyLine);

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as Record<string, number> & { cmd: string };
  const answer = async (): Promise<unknown> => {
    switch (command.cmd) {
      case 'open': {
        const ids: string[] = [];
        for (let i = 0; i < command.count; i += 50) {
          const batch = Array.from({ length: Math.min(50, command.count - i) }, (_, k) =>
            open(i + k),
          );
          ids.push(...(await Promise.all(batch)));
        }
        return { ids };
      }
      case 'subscribe':
        return subscribeAll(command.plain, command.presence, command.infoBytes);
      case 'gated':
        return { sent: await sendGated(command.frames, command.bytes) };
      case 'pause':
        clients.forEach((c) => c.ws.pause());
        return { paused: clients.length };
      case 'state': {
        const closes: Record<string, number> = {};
        for (const c of clients) {
          if (c.closedWith !== null) closes[c.closedWith] = (closes[c.closedWith] ?? 0) + 1;
        }
        return { open: clients.filter((c) => c.ws.readyState === WebSocket.OPEN).length, closes };
      }
      default:
        clients.forEach((c) => c.ws.terminate());
        process.stdout.write('{}\n', () => process.exit(0));
        return undefined;
    }
  };
  void answer().then(
    (result) => result !== undefined && process.stdout.write(JSON.stringify(result) + '\n'),
    (error: Error) => process.stdout.write(JSON.stringify({ error: error.message }) + '\n'),
  );
});

/**
 * Publish throughput and publish→listener latency of one RedisStreamsBroker against its own
 * redis-server. Prints numbers; not a test.
 *
 *   node --import ./scripts/register-swc.js bench/broker-publish.ts [messages] [inFlight]
 */
import { performance } from 'node:perf_hooks';
import type { BrokerMessage } from '../lib/broker/broker.interface.js';
import { RedisStreamsBroker } from '../lib/broker/redis-streams/index.js';
import { startRedisServer } from '../test/support/redis-server.js';

const MESSAGES = Number(process.argv[2] ?? 100_000);
const IN_FLIGHT = Number(process.argv[3] ?? 1000);
const RATE = 500;
const SECONDS = 5;

/** A chat-sized JSON payload of about 170 bytes. */
function payload(n: number): string {
  const text =
    'The quick brown fox jumps over the lazy dog, again and again and again and again, in room 42!';
  return JSON.stringify({ n, at: performance.now(), user: 'alice', room: 'chat/rooms/42', text });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function throughput(broker: RedisStreamsBroker, delivered: { count: number }): Promise<void> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < MESSAGES) {
      const n = next++;
      await broker.publish({ topic: `chat/rooms/${n % 64}`, payload: payload(n) });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `publish: ${MESSAGES} messages of ${payload(0).length} B, ${IN_FLIGHT} in flight: ` +
      `${Math.round(MESSAGES / seconds)} publishes/s (${seconds.toFixed(2)} s)`,
  );
  while (delivered.count < MESSAGES) await new Promise((resolve) => setTimeout(resolve, 5));
  const all = (performance.now() - started) / 1000;
  console.log(`delivered to the listener: ${delivered.count} in ${all.toFixed(2)} s`);
}

async function latency(broker: RedisStreamsBroker, samples: number[]): Promise<void> {
  const perTick = RATE / 100;
  for (let tick = 0; tick < SECONDS * 100; tick++) {
    for (let i = 0; i < perTick; i++) {
      void broker.publish({ topic: `chat/rooms/${i}`, payload: payload(tick * perTick + i) });
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const expected = RATE * SECONDS;
  while (samples.length < expected) await new Promise((resolve) => setTimeout(resolve, 5));
  const sorted = [...samples].sort((a, b) => a - b);
  console.log(
    `latency at ${RATE} msg/s for ${SECONDS} s (${sorted.length} messages): ` +
      `p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, ` +
      `max ${sorted[sorted.length - 1].toFixed(2)} ms`,
  );
}

const server = await startRedisServer();
try {
  const delivered = { count: 0 };
  let samples: number[] | null = null;
  const broker = new RedisStreamsBroker({ connection: server.url });
  await broker.connect();
  await broker.start((batch: readonly BrokerMessage[]) => {
    delivered.count += batch.length;
    if (!samples) return;
    const now = performance.now();
    for (const message of batch)
      samples.push(now - (JSON.parse(message.payload) as { at: number }).at);
  });
  await throughput(broker, delivered);
  samples = [];
  await latency(broker, samples);
  await broker.close();
} finally {
  await server.stop();
}

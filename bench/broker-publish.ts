/**
 * `npm run bench:publish [messages] [inFlight]`, against its own redis-server: the broker's
 * publish→listener latency at a steady rate, then publish throughput into Redis of
 * `RedisStreamsBroker.publish` alone and of `Broadcaster.publish` in a Nest app (topic and
 * payload checks, JSON serialization, the broker), best of 3 rounds each. Prints numbers; not a
 * test. `REPLICAS=1` adds a replica (`--replicaof`); `PUBLISH_REPLICAS=1` (with it) sets
 * `publishReplicas`, so that every publish waits for Redis `WAIT 1` (issue 18).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { performance } from 'node:perf_hooks';
import type { BrokerMessage } from '../lib/broker/broker.interface.js';
import { RedisStreamsBroker } from '../lib/broker/redis-streams/index.js';
import { Broadcaster, DistributedWsModule } from '../lib/index.js';
import { redisCli } from '../test/support/redis-cli.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { waitFor } from '../test/support/wait-for.js';

const MESSAGES = Number(process.argv[2] ?? 100_000);
const IN_FLIGHT = Number(process.argv[3] ?? 1000);
const RATE = 500;
const REPLICAS = Number(process.env.REPLICAS ?? 0);
const PUBLISH_REPLICAS = Number(process.env.PUBLISH_REPLICAS ?? 0);
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

/** Publishes MESSAGES with IN_FLIGHT at a time, 3 rounds; prints the best rate. */
async function throughput(name: string, publish: (n: number) => Promise<unknown>): Promise<void> {
  const rates: number[] = [];
  for (let round = 0; round < 3; round++) {
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < MESSAGES) await publish(next++);
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    rates.push(MESSAGES / ((performance.now() - started) / 1000));
  }
  console.log(
    `${name}: ${MESSAGES} messages of ${payload(0).length} B, ${IN_FLIGHT} in flight: ` +
      `best ${Math.round(Math.max(...rates))} publishes/s (rounds: ${rates.map(Math.round).join(', ')})`,
  );
}

async function broadcasterThroughput(url: string): Promise<void> {
  @Module({
    imports: [
      DistributedWsModule.forRoot({
        broker: url,
        sessionSecret: 'bench-publish-secret-0123456789abcdef',
        publishReplicas: PUBLISH_REPLICAS,
      }),
    ],
  })
  class PublishBenchModule {}
  const app = await NestFactory.create(PublishBenchModule, { logger: ['error', 'warn'] });
  await app.init();
  const broadcaster = app.get(Broadcaster);
  const text = JSON.parse(payload(0)).text as string;
  await throughput('Broadcaster.publish', (n) =>
    broadcaster.publish(`chat/rooms/${n % 64}`, { n, user: 'alice', room: 'chat/rooms/42', text }),
  );
  await app.close();
}

async function latency(broker: RedisStreamsBroker, samples: number[]): Promise<void> {
  const acks: number[] = [];
  const perTick = RATE / 100;
  for (let tick = 0; tick < SECONDS * 100; tick++) {
    for (let i = 0; i < perTick; i++) {
      const sent = performance.now();
      void broker
        .publish({ topic: `chat/rooms/${i}`, payload: payload(tick * perTick + i) })
        .then(() => acks.push(performance.now() - sent));
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
  const acked = acks.sort((a, b) => a - b);
  console.log(
    `publish -> ack at ${RATE} msg/s: p50 ${percentile(acked, 50).toFixed(2)} ms, ` +
      `p99 ${percentile(acked, 99).toFixed(2)} ms, max ${acked[acked.length - 1].toFixed(2)} ms`,
  );
}

const server = await startRedisServer();
const replicas = await Promise.all(
  Array.from({ length: REPLICAS }, () =>
    startRedisServer({ args: ['--replicaof', '127.0.0.1', String(server.port)] }),
  ),
);
await waitFor(
  async () =>
    ((await redisCli(server.port, ['INFO', 'replication'])).match(/state=online/g) ?? []).length ===
    REPLICAS,
  { timeout: 10_000, message: 'the replicas to be online' },
);
console.log(`${REPLICAS} replica(s), publishReplicas ${PUBLISH_REPLICAS}`);
try {
  // Latency first, on empty streams: run after the throughput rounds (600,000 entries in
  // Redis, a large heap behind them), its tail measured those instead (p99 ~55 ms).
  const samples: number[] = [];
  let delivered = 0;
  let sampling = true;
  const broker = new RedisStreamsBroker({
    connection: server.url,
    publishReplicas: PUBLISH_REPLICAS,
  });
  await broker.connect();
  await broker.start((batch: readonly BrokerMessage[]) => {
    delivered += batch.length;
    if (!sampling) return;
    const now = performance.now();
    for (const message of batch)
      samples.push(now - (JSON.parse(message.payload) as { at: number }).at);
  });
  await latency(broker, samples);
  sampling = false;
  const started = performance.now();
  await throughput('RedisStreamsBroker.publish', (n) =>
    broker.publish({ topic: `chat/rooms/${n % 64}`, payload: payload(n) }),
  );
  while (delivered < RATE * SECONDS + 3 * MESSAGES) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`the broker's reader read them all back in ${seconds.toFixed(2)} s`);
  await broker.close();
  await broadcasterThroughput(server.url);
} finally {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await server.stop();
}

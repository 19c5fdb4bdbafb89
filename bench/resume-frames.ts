// `npm run bench:frames`: what building a resume's replayed frames costs on the event loop, in
// one process, without sockets (bench:resume measures whole resumes, but on a small machine its
// runs move by ±20 %, more than this part of a resume). A wave of resumes replays the same
// recent messages: each answer here frames MISSED messages of one of TOPICS topics, either
// encoded for that answer (each message's JSON text, then its frame) or taken from the
// FrameCache, which builds each message's frame once. Env: TOPICS (100), MISSED (200),
// ANSWERS (5,000 per round, after 500 unmeasured), ROUNDS (3).
import type { BrokerMessage } from '../lib/broker/broker.interface.js';
import { FrameCache } from '../lib/adapter/resume/frame-cache.js';
import { joinFrames, textFrameOf } from '../lib/adapter/text-frame.js';
import { encodeMessage } from '../lib/protocol/codec.js';

const TOPICS = Number(process.env.TOPICS ?? 100);
const MISSED = Number(process.env.MISSED ?? 200);
const ANSWERS = Number(process.env.ANSWERS ?? 5000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

// Interleaved over the topics and the 16 shards, as the messages of a window are.
const byTopic: BrokerMessage[][] = Array.from({ length: TOPICS }, () => []);
for (let n = 0; n < TOPICS * MISSED; n++) {
  const id = `1764780000000-${n}`;
  const shard = n % 16;
  byTopic[n % TOPICS].push({
    shard,
    id,
    offset: `${shard}:e1:${id}`,
    topic: `chat/rooms/${n % TOPICS}`,
    payload: `{"text":"m${n}"}`,
    control: undefined,
  });
}

/** Before the cache: every answer encodes each message's text, then frames it. */
function encoded(messages: readonly BrokerMessage[]): Buffer {
  return joinFrames(messages.map((m) => textFrameOf(encodeMessage(m.topic, m.payload, m.offset))));
}

const cache = new FrameCache(64 * 1024 * 1024);
/** With the cache: each message's frame built by the first answer that replays it. */
function cached(messages: readonly BrokerMessage[]): Buffer {
  const frames: Buffer[] = [];
  for (const m of messages) frames.push(cache.frameOf(m));
  return joinFrames(frames);
}

/** µs per answer, after 500 unmeasured ones. */
function time(answer: (messages: readonly BrokerMessage[]) => Buffer): number {
  for (let i = 0; i < 500; i++) answer(byTopic[i % TOPICS]);
  const started = process.hrtime.bigint();
  for (let i = 0; i < ANSWERS; i++) answer(byTopic[i % TOPICS]);
  return Number(process.hrtime.bigint() - started) / 1000 / ANSWERS;
}

if (!encoded(byTopic[0]).equals(cached(byTopic[0]))) throw new Error('the two answers differ');
process.stdout.write(
  `resume frames bench: ${MISSED} replayed frames per answer, ${TOPICS} topics\n`,
);
for (let round = 1; round <= ROUNDS; round++) {
  const before = time(encoded);
  const now = time(cached);
  process.stdout.write(
    `  round ${round}: encoded per answer ${before.toFixed(1)} µs, from the frame cache ${now.toFixed(1)} µs\n`,
  );
}
cache.clear();

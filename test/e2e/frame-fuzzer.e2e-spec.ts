import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Broadcaster } from '../../lib/index.js';
import { CloseCode } from '../../lib/protocol/close-codes.js';
import { DEFAULT_MAX_DEPTH } from '../../lib/protocol/codec.js';
import { ErrorCode } from '../../lib/protocol/error-codes.js';
import { prng, type FuzzPools } from '../support/fuzz-frames.js';
import { FrameGenerator } from '../support/fuzz-generator.js';
import { FuzzLane, type LaneReport } from '../support/fuzz-lane.js';
import { frameBytes, type RawEnd, RawWsSocket } from '../support/raw-ws-socket.js';
import { heapAfterGc } from '../support/heap.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { WsTestClient } from '../support/ws-test-client.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

// FUZZ_FRAMES=1000000 FUZZ_SEED=<printed seed> extend or replay a run by hand.
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const LANES = 4;
const RAW_SESSIONS = 300;
const MAX_PAYLOAD = 65_536; // the documented default
// Heap growth tolerated between the first 20k frames and the end, after a full GC.
const HEAP_GROWTH_BOUND = 4 * 1024 * 1024;
const DOCUMENTED_CLOSES = new Set<number>(Object.values(CloseCode));

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const pools = (lane: () => FuzzLane): FuzzPools => ({
  filters: ['chat/rooms/+', 'chat/rooms/1', 'chat/#', 'news/#', 'orders/+/status', 'lobby/1', '#'],
  publishable: ['chat/rooms/1', 'chat/rooms/2', 'orders/12/status'],
  badTopics: [
    ...['', 'a//b', '/a', 'a/', '#/a', 'a/#/b', 'a+', '$dws/broadcast', '$dws/conn/x', 'a\u0000b'],
    ...['x'.repeat(300), Array(33).fill('a').join('/'), '\ud800x', 'unknown/topic'],
    ...['chat/rooms/secret', 'orders/abc/status', 'news/world', 'lobby/secret'],
  ],
  gatewayEvents: {
    echo: () => ({ say: 'hi' }),
    'async-echo': () => [1, 'two'],
    'nest-style': () => null,
    'fail-ws': () => ({}),
    'fail-ws-object': () => ({}),
    'fail-http': () => ({}),
    guarded: () => ({}),
  },
  unknownEvents: [
    ...['nope', '__proto__', 'constructor', 'toString', 'welcome', 'ack', 'error', 'message'],
    ...['positions', 'x'.repeat(5000), '\u0000', '$dws'],
  ],
  session: () => lane().session,
});

describe(`frame fuzzer (${FRAMES} frames, seed ${SEED})`, () => {
  let app: TestApp;

  beforeAll(async () => {
    // Every option at its documented default but two. The replay window: the broker keeps 2 s of
    // messages instead of 5 minutes, so that its log is at its steady size when the heap is
    // compared (at 5 minutes it grows by ~15 bytes per frame fuzzed, all of it replayable messages).
    // And the rate limit, which would answer most of 100,000 frames sent as fast as they are
    // answered with DWS_ERR_RATE_LIMITED, whatever they are: what is fuzzed here is what each
    // frame is owed (security-backlog.e2e-spec.ts covers the limit).
    app = await startTestApp(
      { retentionMs: 2000, rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
      { providers: [FixtureGateway] },
    );
    console.log(`frame fuzzer seed ${SEED} (FUZZ_SEED=${SEED} replays it)`);
  });
  afterAll(() => app.close());

  /** Subscribe, publish, receive, on a new connection: the app still serves. */
  async function expectFreshClientServed(text: string): Promise<void> {
    const fresh = await WsTestClient.connect(app.url());
    try {
      await fresh.request('subscribe', { topic: 'chat/rooms/after' });
      const ack = await fresh.request('publish', { topic: 'chat/rooms/after', payload: { text } });
      const message = await fresh.next((f) => f.event === 'message');
      expect(message.data).toEqual({
        topic: 'chat/rooms/after',
        offset: ack.data.offset,
        payload: { text: text.toUpperCase() },
      });
    } finally {
      fresh.close();
    }
  }

  it('closes with documented codes on bytes it cannot read: 1007, 1002, 1009', async () => {
    const ends: RawEnd[] = [];
    for (const bytes of [
      frameBytes({
        opcode: 1,
        payload: Buffer.from('{"event":"echo","id":1,"data":"\xff"}', 'latin1'),
      }),
      frameBytes({ opcode: 1, payload: Buffer.from('{}'), mask: false }),
      frameBytes({ opcode: 1, payload: Buffer.from('{}'), rsv: 4 }),
      frameBytes({ opcode: 3 }),
      frameBytes({ opcode: 1, length: BigInt(MAX_PAYLOAD + 1) }),
    ]) {
      const raw = await RawWsSocket.open(app.port);
      raw.write(bytes);
      ends.push(await raw.end(5000));
    }
    expect(ends).toEqual([
      { closed: 1007 },
      { closed: 1002 },
      { closed: 1002 },
      { closed: 1002 },
      { closed: 1009 },
    ]);
    const table = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    for (const code of [1002, 1007, 1009]) {
      expect(DOCUMENTED_CLOSES.has(code)).toBe(true);
      expect(table).toMatch(new RegExp(`^\\| ${code} \\| .+ \\| fix the client \\|$`, 'm'));
    }
  });

  it(`survives ${RAW_SESSIONS} connections of broken framing and noise`, async () => {
    const random = prng(SEED ^ 0x5bd1e995);
    const int = (n: number) => Math.floor(random() * n);
    const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
    const outcomes: Record<string, number> = {};
    const session = async (): Promise<void> => {
      const payload = noise(int(200));
      const shapes = [
        { opcode: 1, payload, mask: false },
        { opcode: 1, payload, rsv: 1 + int(7) },
        { opcode: [3, 4, 5, 6, 7, 11, 12, 13, 14, 15][int(10)], payload },
        { opcode: 0, payload },
        { opcode: 9, payload: noise(126 + int(50)) },
        { opcode: 10, fin: false },
        { opcode: 1, payload, length: BigInt(int(2 ** 31)) + BigInt(MAX_PAYLOAD) },
        { opcode: 1, payload },
        { opcode: 2, payload },
      ];
      // Noise never starts with a close frame: the server would echo its code (RFC 6455 §5.5.1).
      const first = noise(1 + int(300));
      if ((first[0] & 0x0f) === 0x8) first[0] ^= 0x01;
      const bytes = int(3) === 0 ? first : frameBytes(shapes[int(shapes.length)]);
      const raw = await RawWsSocket.open(app.port);
      raw.write(bytes);
      const end = await raw.end(200);
      // Silent: the server waits for the rest of a frame that announced more bytes.
      const key = 'closed' in end ? String(end.closed) : 'silent' in end ? 'silent' : 'dropped';
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if ('closed' in end) expect(DOCUMENTED_CLOSES).toContain(end.closed);
      else expect(end).toEqual({ silent: true });
    };
    // 20 at a time: a silent one costs its whole wait.
    for (let i = 0; i < RAW_SESSIONS; i += 20)
      await Promise.all(Array.from({ length: 20 }, session));
    console.log(`raw framing fuzz: ${JSON.stringify(outcomes)}`);
    await expectFreshClientServed('after the noise');
  });

  it(
    'answers every frame as documented, stays up, serves a bystander, holds memory flat',
    async () => {
      const errorCodes = new Set<string>([...Object.values(ErrorCode), 'APP_ERR_QUOTA']);
      const lanes: FuzzLane[] = [];
      const generators = Array.from({ length: LANES }, (_, i) => {
        lanes.push(new FuzzLane(app.url(), errorCodes, DOCUMENTED_CLOSES));
        const limits = { maxPayload: MAX_PAYLOAD, maxDepth: DEFAULT_MAX_DEPTH };
        // Ids never repeat across connections: an answer on the wrong one would be caught.
        return new FrameGenerator(
          prng(SEED + i),
          pools(() => lanes[i]),
          limits,
          i * 1e12,
        );
      });
      await Promise.all(lanes.map((lane) => lane.connect()));

      // The bystander holds a topic no lane can publish to, and must get every message of it.
      const bystander = await app.connect();
      await bystander.request('subscribe', { topic: 'news/bystander' });
      const broadcaster = app.app.get(Broadcaster);
      let published = 0;
      const publisher = setInterval(() => {
        broadcaster.publish('news/bystander', { seq: published++ }).catch(() => published--);
      }, 20);

      const phase = (frames: number) =>
        Promise.all(lanes.map((lane, i) => lane.run(generators[i], Math.ceil(frames / LANES))));
      const started = Date.now();
      const cpuAtStart = process.cpuUsage();
      const first = Math.min(20_000, FRAMES);
      let heapAtFirst = 0;
      try {
        await phase(first);
        heapAtFirst = heapAfterGc();
        await phase(FRAMES - first);
      } finally {
        clearInterval(publisher);
      }
      const seconds = (Date.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuAtStart);
      const heapAtLast = heapAfterGc();
      lanes.forEach((lane) => lane.close());

      const reports = lanes.map((lane) => lane.report);
      const total = sum(reports, (r) => r.sent);
      const perCpuSecond = Math.round(total / ((cpu.user + cpu.system) / 1e6));
      console.log(
        [
          `frame fuzzer: ${total} frames in ${seconds.toFixed(1)} s = ${Math.round(total / seconds)} frames/s (${perCpuSecond} per CPU second, clients and server in one process)`,
          `heap after GC: ${mb(heapAtFirst)} after ${first} frames, ${mb(heapAtLast)} after ${total} (bound +${mb(HEAP_GROWTH_BOUND)})`,
          `answered by id ${sum(reports, (r) => r.answered)}, id-less decode errors ${sum(reports, (r) => r.decodeErrors)}, other id-less errors ${sum(reports, (r) => r.otherErrors)}, other frames ${sum(reports, (r) => r.otherFrames)}`,
          `error codes ${JSON.stringify(merged(reports, (r) => r.codes))}`,
          `closes ${JSON.stringify(merged(reports, (r) => r.closes))}, ids cut by rate-limit closes ${sum(reports, (r) => r.cutByRateLimitClose)}, bystander ${published} messages`,
        ].join('\n'),
      );
      expect(reports.flatMap((r) => r.failures)).toEqual([]);
      expect(total).toBeGreaterThanOrEqual(FRAMES);

      await bystander.until(() => bystander.messages().length >= published, 10_000);
      expect(bystander.messages('news/bystander').map((m) => m.payload.seq)).toEqual(
        Array.from({ length: published }, (_, seq) => seq),
      );
      expect(bystander.closed).toBeNull();
      expect(heapAtLast - heapAtFirst).toBeLessThan(HEAP_GROWTH_BOUND);
      await expectFreshClientServed('still here');
    },
    // About 4 ms per frame at worst (a loaded machine): FUZZ_FRAMES needs no --testTimeout.
    Math.max(180_000, FRAMES * 4),
  );
});

function sum(reports: LaneReport[], field: (r: LaneReport) => number): number {
  return reports.reduce((total, r) => total + field(r), 0);
}

function merged(reports: LaneReport[], field: (r: LaneReport) => Record<string, number>) {
  const all: Record<string, number> = {};
  for (const r of reports) {
    for (const [key, n] of Object.entries(field(r))) all[key] = (all[key] ?? 0) + n;
  }
  return all;
}

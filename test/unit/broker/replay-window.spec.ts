import type {
  BrokerMessage,
  RangePage,
  ReplayRange,
} from '../../../lib/broker/broker.interface.js';
import { InMemoryBroker } from '../../../lib/broker/in-memory/in-memory.broker.js';
import { ReplayReads } from '../../../lib/broker/replay-reads.js';
import { entryBytes, ReplayWindow, TOPIC_BYTES } from '../../../lib/broker/replay-window.js';
import { waitFor } from '../../support/wait-for.js';

const SHARDS = 4;

/** A broker whose reader feeds a window, as the module wires them; the broker's log is the reference. */
async function fedWindow(maxBytes: number) {
  const broker = new InMemoryBroker({ shards: SHARDS });
  const window = new ReplayWindow(SHARDS, maxBytes, 300_000);
  const delivered: BrokerMessage[] = [];
  await broker.connect();
  await broker.start((batch) => {
    window.record(batch);
    delivered.push(...batch);
  });
  window.begin(broker.positions());
  return { broker, window, delivered };
}

async function publishAll(broker: InMemoryBroker, count: number, delivered: BrokerMessage[]) {
  const before = delivered.length;
  for (let i = 0; i < count; i++) {
    await broker.publish({ topic: `t/${i % 7}`, payload: JSON.stringify({ n: i }) });
  }
  await waitFor(() => delivered.length === before + count, { message: `${count} delivered` });
}

/** Every range of every shard between kept positions, with a few limits and filters. */
function rangesOf(broker: InMemoryBroker, delivered: readonly BrokerMessage[]): ReplayRange[] {
  const ranges: ReplayRange[] = [];
  const epoch = broker.positions()[0].epoch;
  for (let shard = 0; shard < SHARDS; shard++) {
    const ids = ['0-0', ...delivered.filter((m) => m.shard === shard).map((m) => m.id)];
    for (let a = 0; a < ids.length; a += 3) {
      for (let u = a; u < ids.length; u += 5) {
        ranges.push({ shard, epoch, afterId: ids[a], untilId: ids[u] });
      }
    }
  }
  return ranges;
}

describe('ReplayWindow', () => {
  it('answers every range it holds exactly as the log does (pages, lastId, done, filter)', async () => {
    const { broker, window, delivered } = await fedWindow(64 * 1024 * 1024);
    await publishAll(broker, 120, delivered);
    const wanted = (topic: string) => topic !== 't/3';
    let compared = 0;
    for (const range of rangesOf(broker, delivered)) {
      for (const limit of [1, 4, 1000]) {
        const fromWindow = window.page(range, limit, wanted);
        const [fromLog] = await broker.readRanges([range], limit, wanted);
        expect(fromWindow).toEqual(fromLog);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(300);
    await broker.close();
  });

  it('with a topic list, visits no other entry and answers as the log does, also after evictions cut its index', async () => {
    const budget = 300 * entryBytes(sample());
    const { broker, window, delivered } = await fedWindow(budget);
    let asked = 0;
    const listed = (topics: string[]) =>
      Object.assign(
        (topic: string) => {
          asked++;
          return topics.includes(topic);
        },
        { topics: new Set(topics) },
      );
    const sets = [['t/1'], ['t/0', 't/4', 't/5'], ['t/2', 't/6', 'absent'], ['absent']];
    let compared = 0;
    // Rounds of 1,500 messages: each evicts more than a shard's 1,024-entry cut of the arrays.
    for (let round = 0; round < 3; round++) {
      await publishAll(broker, 1500, delivered);
      const kept = delivered.slice(-window.size.entries);
      expect(window.size.entries).toBeGreaterThan(200);
      const epoch = broker.positions()[0].epoch;
      for (let shard = 0; shard < SHARDS; shard++) {
        const ids = kept.filter((m) => m.shard === shard).map((m) => m.id);
        for (let a = 0; a < ids.length; a += 11) {
          for (let u = a; u < ids.length; u += 17) {
            const range = { shard, epoch, afterId: ids[a], untilId: ids[u] };
            for (const topics of sets) {
              for (const limit of [3, 1000]) {
                const fromWindow = window.page(range, limit, listed(topics));
                const [fromLog] = await broker.readRanges([range], limit, (t) =>
                  topics.includes(t),
                );
                expect(fromWindow).toEqual(fromLog);
                compared++;
              }
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect(asked).toBe(0);
    await broker.close();
  });

  it('counts the bytes of what it keeps, index included, and gives all of them back as it evicts', () => {
    let now = 100_000;
    const message = (k: number, topic: string): BrokerMessage => {
      const id = `${now}-${k}`;
      return { topic, payload: `{"k":${k}}`, shard: k % 2, id, offset: `${k % 2}:e:${id}` };
    };
    const fresh = () => {
      const window = new ReplayWindow(2, 64 * 1024 * 1024, 10_000, () => now);
      window.begin([0, 1].map((shard) => ({ shard, epoch: 'e', id: '0-0' })));
      return window;
    };
    const old = fresh();
    // Each on a topic of its own (takeovers of connections), then a few shared topics.
    const own = Array.from({ length: 500 }, (_, k) => message(k, `$dws/conn/c${k}`));
    const shared = Array.from({ length: 500 }, (_, k) => message(500 + k, `t/${k % 5}`));
    old.record(own);
    old.record(shared);
    const held = old.size;
    expect(held.entries).toBe(1000);
    now += 60_000;
    const recent = Array.from({ length: 10 }, (_, k) => message(2000 + k, `t/${k % 3}`));
    old.record(recent);
    const only = fresh();
    only.record(recent);
    expect(old.size).toEqual(only.size);
    expect(only.size.entries).toBe(10);
    // A topic of its own costs more than its entry's strings: the index counts its list, one
    // per topic and shard.
    expect(held.bytes).toBeGreaterThan(500 * entryBytes(message(0, '$dws/conn/c0')) + 500 * 100);
    const lists = new Set([...own, ...shared].map((m) => `${m.shard} ${m.topic}`)).size;
    expect(held.bytes).toBe(
      [...own, ...shared].reduce((sum, m) => sum + entryBytes(m), 0) + lists * TOPIC_BYTES,
    );
  });

  it('started after messages were published, fills itself from the log and answers as the log does', async () => {
    const broker = new InMemoryBroker({ shards: SHARDS });
    const delivered: BrokerMessage[] = [];
    await broker.connect();
    await broker.start((batch) => {
      window.record(batch);
      delivered.push(...batch);
    });
    const window = new ReplayWindow(SHARDS, 64 * 1024 * 1024, 300_000);
    await publishAll(broker, 60, delivered);
    const start = broker.positions();
    window.begin(start);
    const earlier = [...delivered];
    await publishAll(broker, 20, delivered);
    const range = (shard: number) => ({
      ...start[shard],
      afterId: earlier.find((m) => m.shard === shard)!.id,
      untilId: broker.positions()[shard].id,
    });
    // Before the fill: ranges that begin before its start are the log's.
    expect(window.page(range(0), 1000, () => true)).toBeNull();
    await window.fill(broker, start, 60_000);
    let compared = 0;
    for (let shard = 0; shard < SHARDS; shard++) {
      for (const limit of [3, 1000]) {
        const [fromLog] = await broker.readRanges([range(shard)], limit, () => true);
        expect(window.page(range(shard), limit, () => true)).toEqual(fromLog);
        compared++;
      }
    }
    expect(compared).toBe(2 * SHARDS);
    expect(window.size.entries).toBe(80);
    await broker.close();
  });

  it('does not fill a shard whose window changed meanwhile, nor beyond a quarter of its bytes', async () => {
    const { broker, delivered } = await fedWindow(64 * 1024 * 1024);
    await publishAll(broker, 40, delivered);
    const start = broker.positions();
    const first = (shard: number) => delivered.find((m) => m.shard === shard)!.id;
    const late = new ReplayWindow(SHARDS, 64 * 1024 * 1024, 300_000);
    late.begin(start);
    late.drop({ ...start[1], id: '0-1' }); // shard 1 reset meanwhile
    await late.fill(broker, start, 60_000);
    expect(
      late.page({ ...start[1], afterId: first(1), untilId: start[1].id }, 1000, () => true),
    ).toBeNull();
    expect(
      late.page({ ...start[0], afterId: first(0), untilId: start[0].id }, 1000, () => true),
    ).not.toBeNull();
    // A budget of 4 × one entry: a quarter of it holds no shard's history.
    const small = new ReplayWindow(SHARDS, 4 * entryBytes(delivered[0]), 300_000);
    small.begin(start);
    await small.fill(broker, start, 60_000);
    expect(small.size.entries).toBe(0);
    await broker.close();
  });

  it('orders positions of 16 digits (past 2^53) as the log does', async () => {
    const { broker, window, delivered } = await fedWindow(64 * 1024 * 1024);
    await publishAll(broker, 40, delivered);
    const shard = delivered[0].shard;
    const ids = delivered.filter((m) => m.shard === shard).map((m) => m.id);
    const [ms] = ids[2].split('-');
    const { epoch } = broker.positions()[shard];
    const untilId = ids[ids.length - 1];
    // After every entry of that millisecond; after everything kept; at the first entry.
    for (const afterId of [`${ms}-9999999999999999`, `${ms}-9007199254740993`, ids[0]]) {
      const range = { shard, epoch, afterId, untilId };
      const [fromLog] = await broker.readRanges([range], 1000, () => true);
      expect(window.page(range, 1000, () => true)).toEqual(fromLog);
    }
    const beyond = { shard, epoch, afterId: '9999999999999999-0', untilId };
    expect(window.page(beyond, 1000, () => true)).toEqual({
      status: 'ok',
      messages: [],
      lastId: '9999999999999999-0',
      done: true,
    });
    await broker.close();
  });

  it('drops the oldest entries over its byte budget and leaves ranges before them to the log', async () => {
    const budget = 20 * entryBytes(sample());
    const small = await fedWindow(budget);
    await publishAll(small.broker, 100, small.delivered);
    expect(small.window.size.entries).toBeLessThanOrEqual(20);
    expect(small.window.size.bytes).toBeLessThanOrEqual(budget);
    const epoch = small.broker.positions()[0].epoch;
    const last = small.delivered[small.delivered.length - 1];
    const evicted = small.delivered[50];
    const recent = small.delivered.slice(-5)[0];
    const upTo = small.broker.positions()[last.shard].id;
    const everything = () => true;
    expect(
      small.window.page(
        { shard: evicted.shard, epoch, afterId: '0-0', untilId: upTo },
        10,
        everything,
      ),
    ).toBeNull();
    const kept = {
      shard: recent.shard,
      epoch,
      afterId: recent.id,
      untilId: small.broker.positions()[recent.shard].id,
    };
    const [fromLog] = await small.broker.readRanges([kept], 100, everything);
    expect(small.window.page(kept, 100, everything)).toEqual(fromLog);
    await small.broker.close();
  });

  it('answers nothing for another epoch, and forgets a shard whose epoch changed', async () => {
    const { broker, window, delivered } = await fedWindow(1024 * 1024);
    await publishAll(broker, 20, delivered);
    const m = delivered[0];
    const position = broker.positions()[m.shard];
    const range = { shard: m.shard, epoch: position.epoch, afterId: '0-0', untilId: position.id };
    expect(window.page(range, 100, () => true)?.status).toBe('ok');
    expect(window.page({ ...range, epoch: 'other' }, 100, () => true)).toBeNull();
    window.follow(
      broker.positions().map((p) => (p.shard === m.shard ? { ...p, epoch: 'new' } : p)),
    );
    expect(window.page(range, 100, () => true)).toBeNull();
    await broker.close();
  });
});

describe('ReplayReads', () => {
  it('shares one backplane read between identical concurrent ranges, filtered per reader', async () => {
    const { broker, delivered } = await fedWindow(0);
    await publishAll(broker, 30, delivered);
    const reads = new ReplayReads(broker, null);
    const { readRanges, backplaneReads } = countReads(broker);
    const position = broker.positions()[delivered[0].shard];
    const range = { ...position, afterId: '0-0', untilId: position.id };
    const only = (topic: string) => (t: string) => t === topic;
    const pages: RangePage[][] = await Promise.all(
      ['t/0', 't/1', 't/2', 't/0'].map((topic) => reads.readRanges([range], 100, only(topic))),
    );
    expect(backplaneReads()).toBe(1);
    expect(reads.stats).toEqual({ fromWindow: 0, fromLog: 1, shared: 3 });
    for (const [i, topic] of ['t/0', 't/1', 't/2', 't/0'].entries()) {
      expect(pages[i]).toEqual(await readRanges([range], 100, only(topic)));
    }
    await broker.close();
  });

  it('shares a page for 250 ms after it came back, not across an epoch change', async () => {
    const { broker, delivered } = await fedWindow(0);
    await publishAll(broker, 30, delivered);
    const reads = new ReplayReads(broker, null);
    const { backplaneReads } = countReads(broker);
    const position = broker.positions()[delivered[0].shard];
    const range = { ...position, afterId: '0-0', untilId: position.id };
    const first = await reads.readRanges([range], 100, () => true);
    // Later, in another turn: the page that came back is shared.
    await new Promise((r) => setTimeout(r, 20));
    expect(await reads.readRanges([range], 100, () => true)).toEqual(first);
    expect(backplaneReads()).toBe(1);
    expect(reads.stats).toEqual({ fromWindow: 0, fromLog: 1, shared: 1 });
    // A reader now in another epoch of that shard: the log answers again.
    const positions = broker.positions.bind(broker);
    broker.positions = () =>
      positions().map((p) => (p.shard === range.shard ? { ...p, epoch: 'other' } : p));
    await reads.readRanges([range], 100, () => true);
    expect(backplaneReads()).toBe(2);
    // Past 250 ms (the same epoch again): read again.
    broker.positions = positions;
    await new Promise((r) => setTimeout(r, 300));
    await reads.readRanges([range], 100, () => true);
    expect(backplaneReads()).toBe(3);
    await broker.close();
  });
});

/** Counts `broker.readRanges` calls; the returned `readRanges` reads without being counted. */
function countReads(broker: InMemoryBroker) {
  let reads = 0;
  const readRanges = broker.readRanges.bind(broker);
  broker.readRanges = (ranges, limit, wanted) => {
    reads++;
    return readRanges(ranges, limit, wanted);
  };
  return { readRanges, backplaneReads: () => reads };
}

function sample(): BrokerMessage {
  return { topic: 't/0', payload: '{"n":0}', shard: 0, id: '1-0', offset: '0:e:1-0' };
}

import type {
  Broker,
  BrokerMessage,
  RangePage,
  ReplayRange,
  ShardPosition,
  WantedTopics,
} from './broker.interface.js';
import { compareIds, formatOffset } from '../protocol/offset.js';

/**
 * What one kept entry costs beyond its strings' characters: the message object, the strings'
 * headers, its slots in the shard's arrays, the eviction queue and its topic's list. Measured as
 * heap growth per entry over 200,000 entries of 100 topics (315 bytes, 70 of them characters).
 */
const ENTRY_OVERHEAD_BYTES = 245;
/**
 * What a topic's list in the index costs while it holds entries (map slot, list object, array):
 * an entry of a topic of its own (a `$dws/conn/…` takeover) costs this on top. Measured as above
 * with every entry on its own topic: 536 bytes per entry.
 */
export const TOPIC_BYTES = 210;
/**
 * The publish script trims the entries older than `retentionMs` at most once a second, by the
 * Redis clock: an entry this close to that age may be gone from Redis already, so a replay that
 * starts with it is left to Redis, which answers exactly (`window-exceeded` or the entries).
 */
const TRIM_MARGIN_MS = 2000;

/** The kept entries of one topic on a shard: their numbers (`ShardWindow.base`), from `head` on. */
interface TopicEntries {
  readonly at: number[];
  head: number;
}

interface ShardWindow {
  /** The epoch of the kept entries; null until `begin`, when nothing is known yet. */
  epoch: string | null;
  /** `"<shard>:<epoch>:"`: a message whose offset does not start with it is of another epoch. */
  offsetBase: string;
  /** Every entry of the log after `floor` and up to the last kept one is kept, in order. */
  floor: string;
  readonly entries: BrokerMessage[];
  /** The entries' ids as numbers, index for index: `<ms>` and `<seq>` (searched without parsing). */
  readonly ms: number[];
  readonly seq: number[];
  head: number;
  /** `entries[i]` is the shard's kept entry number `base + i`: numbers outlive the cuts. */
  base: number;
  /** The numbers of each topic's kept entries, in order: a resume visits its topics' alone. */
  readonly byTopic: Map<string, TopicEntries>;
  bytes: number;
}

/** Approximate heap bytes of one kept entry (its strings are one byte per character). */
export function entryBytes(m: BrokerMessage): number {
  return m.payload.length + m.topic.length + m.offset.length + m.id.length + ENTRY_OVERHEAD_BYTES;
}

const DASH = 0x2d;
const ZERO = 0x30;

/**
 * `<ms>` of a stream id `"<ms>-<seq>"`, read digit by digit (no substring: this runs for every
 * message the reader delivers). Both parts of a Redis id are below 2^53; a client's position may
 * say more (16 digits): as Infinity it stays after every kept id.
 */
function idMs(id: string): number {
  let n = 0;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === DASH) break;
    n = n * 10 + (c - ZERO);
  }
  return n <= Number.MAX_SAFE_INTEGER ? n : Infinity;
}

/** `<seq>` of a stream id, as {@link idMs}. */
function idSeq(id: string): number {
  let n = 0;
  for (let i = id.indexOf('-') + 1; i < id.length; i++) n = n * 10 + (id.charCodeAt(i) - ZERO);
  return n <= Number.MAX_SAFE_INTEGER ? n : Infinity;
}

/**
 * The recent past of every shard, as this instance's reader delivered it (issue 18): a resume
 * whose positions fall inside it is answered from memory, with the same answer a read of the log
 * gives. Bounded by `maxBytes` (oldest entries of all shards go first) and by age (`maxAgeMs`,
 * the retention). Keyed by epoch: an entry of another epoch drops what the shard kept.
 *
 * Cost on delivery: one array push and a few additions per message, one clock read per batch.
 */
export class ReplayWindow {
  private readonly windows: ShardWindow[];
  /** Every kept entry in delivery order, over all shards: the eviction order. */
  private readonly order: BrokerMessage[] = [];
  private orderHead = 0;
  private bytes = 0;

  constructor(
    shards: number,
    private readonly maxBytes: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.windows = Array.from({ length: shards }, () => ({
      epoch: null,
      offsetBase: '',
      floor: '0-0',
      entries: [],
      ms: [],
      seq: [],
      head: 0,
      base: 0,
      byTopic: new Map(),
      bytes: 0,
    }));
  }

  /** Bytes kept now (approximate heap), and entries. */
  get size(): { bytes: number; entries: number } {
    return { bytes: this.bytes, entries: this.order.length - this.orderHead };
  }

  /**
   * Starts keeping each shard from `positions` (what the reader delivered so far): everything
   * delivered after them is recorded. Shards not begun keep nothing.
   */
  begin(positions: readonly ShardPosition[]): void {
    if (this.maxBytes <= 0) return;
    for (const p of positions) this.reset(p.shard, p.epoch, p.id);
  }

  /**
   * Reads from the log what each shard held before `positions` (those `begin` was given), back
   * to `sinceMs` ago, and keeps it as if it had been delivered (issue 18): a freshly started
   * instance then answers from memory the resumes of clients whose positions are older than its
   * start (the next wave of a rolling restart). At most a quarter of the byte budget is read, in
   * shard order; a shard whose window changed meanwhile (reset, evicted) is left as it is.
   * @throws BrokerUnavailableError when the log cannot be read (nothing is kept then).
   */
  async fill(
    log: Pick<Broker, 'readRanges'>,
    positions: readonly ShardPosition[],
    sinceMs: number,
  ): Promise<void> {
    if (this.maxBytes <= 0) return;
    let budget = this.maxBytes / 4;
    const afterId = `${Math.max(0, this.now() - Math.min(sinceMs, this.maxAgeMs - TRIM_MARGIN_MS))}-0`;
    const everyTopic = () => true;
    for (const p of positions) {
      if (budget <= 0) return;
      if (compareIds(afterId, p.id) >= 0) continue;
      const read: BrokerMessage[] = [];
      let bytes = 0;
      let from = afterId;
      for (;;) {
        const [page] = await log.readRanges(
          [{ shard: p.shard, epoch: p.epoch, afterId: from, untilId: p.id }],
          1000,
          everyTopic,
        );
        if (page.status !== 'ok') break;
        for (const m of page.messages) bytes += entryBytes(m);
        read.push(...page.messages);
        if (bytes > budget) break;
        if (page.done) {
          this.prepend(p, afterId, read, bytes);
          break;
        }
        from = page.lastId;
      }
      budget -= bytes;
    }
  }

  /** Keeps `entries`, the log's after `floor` up to `position`, before what `begin` started. */
  private prepend(
    position: ShardPosition,
    floor: string,
    entries: readonly BrokerMessage[],
    bytes: number,
  ): void {
    const w = this.windows[position.shard];
    if (w === undefined || w.epoch !== position.epoch || w.floor !== position.id) return;
    const kept = w.entries.splice(w.head);
    const keptMs = w.ms.splice(w.head);
    const keptSeq = w.seq.splice(w.head);
    w.entries.length = 0;
    w.ms.length = 0;
    w.seq.length = 0;
    w.head = 0;
    w.base = 0;
    const topicsBefore = w.byTopic.size;
    w.byTopic.clear();
    for (const m of entries) {
      w.entries.push(m);
      w.ms.push(idMs(m.id));
      w.seq.push(idSeq(m.id));
    }
    for (let i = 0; i < kept.length; i++) {
      w.entries.push(kept[i]);
      w.ms.push(keptMs[i]);
      w.seq.push(keptSeq[i]);
    }
    for (let i = 0; i < w.entries.length; i++) indexEntry(w, w.entries[i].topic, i);
    bytes += (w.byTopic.size - topicsBefore) * TOPIC_BYTES;
    w.bytes += bytes;
    w.floor = floor;
    // Oldest first in the eviction order too (a shard's entries keep their order there).
    const rest = this.order.splice(this.orderHead);
    this.order.length = 0;
    this.orderHead = 0;
    for (const m of entries) this.order.push(m);
    for (const m of rest) this.order.push(m);
    this.bytes += bytes;
    this.evict();
  }

  /** Called with every batch the reader delivers, before the fan-out. */
  record(batch: readonly BrokerMessage[]): void {
    if (this.maxBytes <= 0) return;
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i];
      const w = this.windows[m.shard];
      if (w === undefined || w.epoch === null) continue;
      if (
        !m.offset.startsWith(w.offsetBase) ||
        m.offset.length !== w.offsetBase.length + m.id.length
      ) {
        // Another epoch: the kept history is of a log that is gone. Coverage restarts after m.
        this.reset(m.shard, m.offset.slice(m.offset.indexOf(':') + 1, -m.id.length - 1), m.id);
        continue;
      }
      const bytes = entryBytes(m) + indexEntry(w, m.topic, w.base + w.entries.push(m) - 1);
      w.ms.push(idMs(m.id));
      w.seq.push(idSeq(m.id));
      w.bytes += bytes;
      this.order.push(m);
      this.bytes += bytes;
    }
    this.evict();
  }

  /**
   * Forgets what `shard` kept (its history changed under this instance): ranges of it are read
   * from the log until the window covers them again, from `position` on.
   */
  drop(position: ShardPosition): void {
    this.reset(position.shard, position.epoch, position.id);
  }

  /**
   * Drops the shards whose epoch is no longer the reader's (`positions()` of the broker): their
   * log was replaced, even if nothing of the new one was delivered yet.
   */
  follow(positions: readonly ShardPosition[]): void {
    for (const p of positions) {
      const w = this.windows[p.shard];
      if (w !== undefined && w.epoch !== null && w.epoch !== p.epoch) this.drop(p);
    }
  }

  /**
   * The page `Broker.readRanges` would answer for `range`, when the window holds all of it: its
   * epoch is the kept one, nothing after `afterId` was evicted, `untilId` was delivered, and
   * its first entry is not old enough to be trimmed from the log. Null otherwise: read the log.
   * With `wanted.topics`, only those topics' entries are visited (the index), not the range.
   */
  page(range: ReplayRange, limit: number, wanted: WantedTopics): RangePage | null {
    const w = this.windows[range.shard];
    if (w === undefined || w.epoch === null || w.epoch !== range.epoch) return null;
    const { afterId, untilId } = range;
    if (untilId === '+' || compareIds(afterId, w.floor) < 0) return null;
    const last = w.entries.length > w.head ? w.entries[w.entries.length - 1].id : w.floor;
    if (compareIds(untilId, last) > 0) return null;
    // The range's entries are [start, until); a page reads `limit` of them at most.
    const start = this.firstAfter(w, idMs(afterId), idSeq(afterId));
    const until = this.firstAfter(w, idMs(untilId), idSeq(untilId));
    if (start < until && w.ms[start] < this.now() - this.maxAgeMs + TRIM_MARGIN_MS) return null;
    const stop = Math.min(until, start + limit);
    const messages =
      wanted.topics === undefined
        ? scan(w, start, stop, wanted)
        : lookUp(w, start, stop, wanted.topics);
    const lastId = stop > start ? w.entries[stop - 1].id : afterId;
    return { status: 'ok', messages, lastId, done: stop >= until };
  }

  /** Index of the first kept entry after the id `ms`-`seq` (binary search; ids increase). */
  private firstAfter(w: ShardWindow, ms: number, seq: number): number {
    let lo = w.head;
    let hi = w.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (w.ms[mid] < ms || (w.ms[mid] === ms && w.seq[mid] <= seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private reset(shard: number, epoch: string, floor: string): void {
    const w = this.windows[shard];
    if (w === undefined) return;
    this.bytes -= w.bytes;
    w.entries.length = 0;
    w.ms.length = 0;
    w.seq.length = 0;
    w.head = 0;
    w.base = 0;
    w.byTopic.clear();
    w.bytes = 0;
    w.epoch = epoch;
    w.offsetBase = formatOffset(shard, epoch, '');
    w.floor = floor;
  }

  /** Oldest entries first, over all shards, while over the byte budget or the age. */
  private evict(): void {
    const oldest = this.now() - this.maxAgeMs + TRIM_MARGIN_MS;
    while (this.orderHead < this.order.length) {
      const m = this.order[this.orderHead];
      const w = this.windows[m.shard];
      const kept = w.entries[w.head] === m;
      if (kept && this.bytes <= this.maxBytes && w.ms[w.head] >= oldest) break;
      this.orderHead++;
      if (!kept) continue; // dropped with its shard already
      const bytes = entryBytes(m) + unindexFirst(w, m.topic);
      w.head++;
      w.bytes -= bytes;
      this.bytes -= bytes;
      w.floor = m.id;
      if (w.head > 1024 && w.head * 2 > w.entries.length) {
        w.entries.splice(0, w.head);
        w.ms.splice(0, w.head);
        w.seq.splice(0, w.head);
        w.base += w.head;
        w.head = 0;
      }
    }
    if (this.orderHead > 4096 && this.orderHead * 2 > this.order.length) {
      this.order.splice(0, this.orderHead);
      this.orderHead = 0;
    }
  }
}

/**
 * Adds entry number `at` (the newest of the shard) to its topic's list.
 * @returns the bytes a new list costs (TOPIC_BYTES), or 0.
 */
function indexEntry(w: ShardWindow, topic: string, at: number): number {
  const entries = w.byTopic.get(topic);
  if (entries !== undefined) {
    entries.at.push(at);
    return 0;
  }
  w.byTopic.set(topic, { at: [at], head: 0 });
  return TOPIC_BYTES;
}

/**
 * Drops the oldest entry of `topic` from its list (eviction goes in order, per shard too).
 * @returns the bytes of the list when it is dropped with its last entry (TOPIC_BYTES), or 0.
 */
function unindexFirst(w: ShardWindow, topic: string): number {
  const entries = w.byTopic.get(topic);
  if (entries === undefined) return 0;
  if (++entries.head === entries.at.length) {
    w.byTopic.delete(topic);
    return TOPIC_BYTES;
  }
  if (entries.head > 64 && entries.head * 2 > entries.at.length) {
    entries.at.splice(0, entries.head);
    entries.head = 0;
  }
  return 0;
}

/** The entries of [start, stop) that `wanted` accepts, visiting each. */
function scan(w: ShardWindow, start: number, stop: number, wanted: WantedTopics): BrokerMessage[] {
  const messages: BrokerMessage[] = [];
  for (let i = start; i < stop; i++) {
    const m = w.entries[i];
    if (wanted(m.topic)) messages.push(m);
  }
  return messages;
}

/** The entries of [start, stop) on `topics`, in log order, from the index: O(topics + found). */
function lookUp(
  w: ShardWindow,
  start: number,
  stop: number,
  topics: ReadonlySet<string>,
): BrokerMessage[] {
  const found: number[] = [];
  let lists = 0;
  const from = w.base + start;
  const to = w.base + stop;
  for (const topic of topics) {
    const entries = w.byTopic.get(topic);
    if (entries === undefined) continue;
    const { at } = entries;
    let lo = entries.head;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    const before = found.length;
    for (; lo < at.length && at[lo] < to; lo++) found.push(at[lo] - w.base);
    if (found.length > before) lists++;
  }
  // Each list is in log order; several are merged by position.
  if (lists > 1) found.sort((a, b) => a - b);
  const messages: BrokerMessage[] = new Array(found.length);
  for (let i = 0; i < found.length; i++) messages[i] = w.entries[found[i]];
  return messages;
}

import type {
  Broker,
  BrokerMessage,
  ReplayRange,
  ShardPosition,
  WantedTopics,
} from '../../broker/broker.interface.js';
import type { NotRecoveredReason } from '../../metrics/metrics.interface.js';
import { compareIds } from '../../protocol/offset.js';

/** Entries read in the first round trip, over all shards being read. */
const FIRST_PAGE = 256;
/** Later rounds read about this many bytes (from the sizes seen so far), 16 to 1000 entries. */
const PAGE_BYTES = 1024 * 1024;

/** How much of the replay one resume may hold in memory, and how much it may replay at all. */
export interface ReplayLimits {
  /** Most messages replayed (`maxReplay`). */
  readonly messages: number;
  /** Most bytes replayed (`maxReplayBytes`). */
  readonly bytes: number;
  /** Bytes kept in memory while counting; a bigger replay is read again, page by page, to send. */
  readonly holdBytes: number;
}

/** What the session missed: counted, and kept in memory when it is small enough. */
export type Replay =
  | {
      recovered: true;
      count: number;
      /** Every missed message in order, or null when they are too many bytes to hold: stream them. */
      messages: BrokerMessage[] | null;
      /** The ranges read, to read them again when `messages` is null. */
      ranges: readonly ReplayRange[];
    }
  | { recovered: false; reason: NotRecoveredReason };

interface ShardReplay {
  readonly range: ReplayRange;
  afterId: string;
  count: number;
  readonly messages: BrokerMessage[];
  done: boolean;
  failed: NotRecoveredReason | null;
}

/** Approximate bytes of a message as sent: its payload and topic (JSON text, mostly ASCII). */
function messageBytes(message: BrokerMessage): number {
  return message.payload.length + message.topic.length;
}

/**
 * Reads (client position, snapshot] of every shard in `read` (every shard when null), counting the
 * messages `wanted` accepts and keeping them while they fit in `limits.holdBytes`. A shard left
 * out is not read at all: the caller knows it holds none of the wanted topics. All shards still
 * open are read in one `readRanges` per round, sized from the bytes seen so far. The answer is
 * the one a shard-by-shard replay gives: messages in shard order, then log order; the reason of
 * the first shard (in shard order) that fails, or `limit` once the shards before and including it
 * hold more than the limits allow.
 * @throws BrokerUnavailableError when the backplane cannot be read.
 */
export async function replayShards(
  broker: Pick<Broker, 'readRanges'>,
  from: readonly ShardPosition[],
  snapshot: readonly ShardPosition[],
  wanted: WantedTopics,
  limits: ReplayLimits,
  read: ReadonlySet<number> | null = null,
): Promise<Replay> {
  const shards: ShardReplay[] = from.map((p) => ({
    range: { shard: p.shard, epoch: p.epoch, afterId: p.id, untilId: snapshot[p.shard].id },
    afterId: p.id,
    count: 0,
    messages: [],
    done: read !== null && !read.has(p.shard),
    failed: null,
  }));
  let bytes = 0;
  let entries = 0;
  let holding = true;
  for (;;) {
    const verdict = verdictOf(shards, limits.messages, bytes > limits.bytes);
    if (verdict) return { recovered: false, reason: verdict };
    // Shards after a failed one cannot change the answer any more.
    const firstFailed = shards.findIndex((s) => s.failed !== null);
    const open = shards
      .slice(0, firstFailed < 0 ? shards.length : firstFailed)
      .filter((s) => !s.done);
    if (open.length === 0) break;
    // A shard the client is already at costs only its checks: no share of the page.
    const reading = open.filter((s) => compareIds(s.afterId, s.range.untilId) < 0).length;
    const total = entries === 0 ? FIRST_PAGE : pageFor(bytes / entries);
    const limit = Math.max(1, Math.floor(total / Math.max(1, reading)));
    const pages = await broker.readRanges(
      open.map((s) => ({ ...s.range, afterId: s.afterId })),
      limit,
      wanted,
    );
    pages.forEach((page, i) => {
      const state = open[i];
      if (page.status === 'epoch-changed') state.failed = 'epoch';
      else if (page.status === 'window-exceeded') state.failed = 'window';
      else {
        for (const m of page.messages) {
          if (m.control !== undefined) continue;
          state.count++;
          entries++;
          bytes += messageBytes(m);
          if (holding) state.messages.push(m);
        }
        state.afterId = page.lastId;
        state.done = page.done;
      }
    });
    if (holding && bytes > limits.holdBytes) {
      holding = false;
      for (const s of shards) s.messages.length = 0;
    }
  }
  return {
    recovered: true,
    count: shards.reduce((sum, s) => sum + s.count, 0),
    messages: holding ? shards.flatMap((s) => s.messages) : null,
    ranges: shards.filter((s) => s.count > 0).map((s) => s.range),
  };
}

/**
 * Reads `ranges` again, shard after shard, page by page, handing each page's wanted messages to
 * `send` before reading the next: what a replay too big to hold costs in memory is one page.
 * @returns false when a range can no longer be read whole (trimmed or replaced meanwhile).
 * @throws BrokerUnavailableError when the backplane cannot be read.
 */
export async function streamRanges(
  broker: Pick<Broker, 'readRanges'>,
  ranges: readonly ReplayRange[],
  wanted: WantedTopics,
  send: (messages: readonly BrokerMessage[]) => Promise<boolean>,
): Promise<boolean> {
  let bytes = 0;
  let entries = 0;
  for (const range of ranges) {
    let afterId = range.afterId;
    for (;;) {
      const limit = entries === 0 ? FIRST_PAGE : pageFor(bytes / entries);
      const [page] = await broker.readRanges([{ ...range, afterId }], limit, wanted);
      if (page.status !== 'ok') return false;
      const messages = page.messages.filter((m) => m.control === undefined);
      for (const m of messages) bytes += messageBytes(m);
      entries += messages.length;
      if (!(await send(messages))) return true;
      if (page.done) break;
      afterId = page.lastId;
    }
  }
  return true;
}

/** Entries per round for messages of `averageBytes`: about PAGE_BYTES, 16 to 1000 of them. */
function pageFor(averageBytes: number): number {
  return Math.min(1000, Math.max(16, Math.floor(PAGE_BYTES / Math.max(1, averageBytes))));
}

/** The reason a shard-by-shard replay would stop with, once it is certain; null while open. */
function verdictOf(
  shards: readonly ShardReplay[],
  budget: number,
  overBytes: boolean,
): NotRecoveredReason | null {
  let count = 0;
  let earlierDone = true;
  for (const s of shards) {
    if (s.failed !== null) return earlierDone ? s.failed : null;
    count += s.count;
    if (count > budget) return 'limit';
    earlierDone &&= s.done;
  }
  return overBytes ? 'limit' : null;
}

import type { Broker, BrokerMessage, ShardPosition } from '../../broker/broker.interface.js';
import type { RuntimeOptions } from '../../distributed-ws.config.js';
import type { NotRecoveredReason } from '../../metrics/metrics.interface.js';
import { compareIds } from '../../protocol/offset.js';
import { implicitTopics } from '../../topics/implicit-topics.js';
import { hasWildcard, matchesFilter } from '../../topics/topic-matcher.js';
import type { Connection } from '../connection.js';

/** Entries read per round trip, over all shards still being read: bounds a replay's memory. */
const PAGE_SIZE = 1000;

// How long a resume waits for this instance's reader to reach the client's position (the client
// may come from an instance whose reader was a few ms ahead). Measured lag is single-digit ms.
const CATCH_UP_TIMEOUT_MS = 3000;

export type Replay =
  { recovered: true; messages: BrokerMessage[] } | { recovered: false; reason: NotRecoveredReason };

/**
 * The third step of a resume: what the session missed, (client position, snapshot] on every
 * shard that can hold one of its topics. Nothing of it is sent here.
 */
export class SessionReplay {
  constructor(
    private readonly broker: Broker,
    private readonly runtime: RuntimeOptions,
  ) {}

  /**
   * Reads what the session missed on its implicit topics and the restored `filters`, then waits
   * until this instance's reader is at the client's positions too: a live message the client
   * already has (from an instance whose reader was ahead) then reaches `connection.held`, where
   * the hand-over drops it, instead of arriving once the connection is live again.
   * @param from the client's positions, one per shard; null when they could not be read.
   * @throws BrokerUnavailableError when the backplane cannot be read.
   */
  async missed(
    connection: Connection,
    filters: readonly string[],
    from: readonly ShardPosition[] | null,
    snapshot: readonly ShardPosition[],
  ): Promise<Replay> {
    if (!from || from.length !== this.broker.shards)
      return { recovered: false, reason: 'positions' };
    const replay = await this.read(connection, filters, from, snapshot);
    if (replay.recovered) await this.readerAt(from);
    return replay;
  }

  private read(
    connection: Connection,
    filters: readonly string[],
    from: readonly ShardPosition[],
    snapshot: readonly ShardPosition[],
  ): Promise<Replay> {
    const implicit = new Set(implicitTopics(connection.id, connection.userId));
    const wanted = (topic: string) =>
      implicit.has(topic) || filters.some((f) => matchesFilter(f, topic));
    // Without wildcards the wanted topics are known, and so are the only shards that hold them:
    // the others carry other topics' traffic, often most of the window, and are not read.
    let read: Set<number> | null = null;
    if (!filters.some(hasWildcard)) {
      read = new Set([...implicit, ...filters].map((topic) => this.broker.shardOf(topic)));
    }
    const { maxReplay } = this.runtime.options;
    return replayShards(this.broker, from, snapshot, wanted, maxReplay, read);
  }

  /**
   * Waits, at most CATCH_UP_TIMEOUT_MS in all, until the reader has delivered up to `from` on
   * every shard (or reads another epoch there). Past the timeout the resume goes on as before.
   */
  private async readerAt(from: readonly ShardPosition[]): Promise<void> {
    await Promise.all(from.map((p) => this.broker.untilDelivered(p, CATCH_UP_TIMEOUT_MS)));
  }
}

interface ShardReplay {
  readonly shard: number;
  readonly epoch: string;
  afterId: string;
  readonly untilId: string;
  readonly messages: BrokerMessage[];
  done: boolean;
  failed: NotRecoveredReason | null;
}

/**
 * Reads (client position, snapshot] of every shard in `read` (every shard when null), keeping
 * the messages `wanted` accepts, at most `budget` of them. A shard left out is not read at all:
 * the caller knows it holds none of the wanted topics, so nothing on it can be missed, and its
 * checks (epoch, window) could not change the answer. All shards still open are read in one
 * `readRanges` per round, each with an equal share of PAGE_SIZE. The answer is the one a
 * shard-by-shard replay gives: messages in shard order, then log order; the reason of the first
 * shard (in shard order) that fails, or `limit` once the shards before and including it hold
 * more than `budget`.
 * @throws BrokerUnavailableError when the backplane cannot be read.
 */
export async function replayShards(
  broker: Broker,
  from: readonly ShardPosition[],
  snapshot: readonly ShardPosition[],
  wanted: (topic: string) => boolean,
  budget: number,
  read: ReadonlySet<number> | null = null,
): Promise<Replay> {
  const shards: ShardReplay[] = from.map((p) => ({
    shard: p.shard,
    epoch: p.epoch,
    afterId: p.id,
    untilId: snapshot[p.shard].id,
    messages: [],
    done: read !== null && !read.has(p.shard),
    failed: null,
  }));
  for (;;) {
    const verdict = verdictOf(shards, budget);
    if (verdict) return { recovered: false, reason: verdict };
    // Shards after a failed one cannot change the answer any more.
    const firstFailed = shards.findIndex((s) => s.failed !== null);
    const open = shards
      .slice(0, firstFailed < 0 ? shards.length : firstFailed)
      .filter((s) => !s.done);
    if (open.length === 0) break;
    // A shard the client is already at costs only its checks: no share of the page.
    const reading = open.filter((s) => compareIds(s.afterId, s.untilId) < 0).length;
    const limit = Math.max(1, Math.floor(PAGE_SIZE / Math.max(1, reading)));
    const pages = await broker.readRanges(open, limit, wanted);
    pages.forEach((page, i) => {
      const state = open[i];
      if (page.status === 'epoch-changed') state.failed = 'epoch';
      else if (page.status === 'window-exceeded') state.failed = 'window';
      else {
        for (const m of page.messages) if (m.control === undefined) state.messages.push(m);
        state.afterId = page.lastId;
        state.done = page.done;
      }
    });
  }
  return { recovered: true, messages: shards.flatMap((s) => s.messages) };
}

/** The reason a shard-by-shard replay would stop with, once it is certain; null while open. */
function verdictOf(shards: readonly ShardReplay[], budget: number): NotRecoveredReason | null {
  let count = 0;
  let earlierDone = true;
  for (const s of shards) {
    if (s.failed !== null) return earlierDone ? s.failed : null;
    count += s.messages.length;
    if (count > budget) return 'limit';
    earlierDone &&= s.done;
  }
  return null;
}

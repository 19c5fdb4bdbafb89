import type { Broker, ShardPosition } from '../../broker/broker.interface.js';
import type { RuntimeOptions } from '../../distributed-ws.config.js';
import { compareIds } from '../../protocol/offset.js';
import { implicitTopics } from '../../topics/implicit-topics.js';
import { hasWildcard, matchesFilter } from '../../topics/topic-matcher.js';
import type { Connection } from '../connection.js';
import type { BrokerMessage, WantedTopics } from '../../broker/broker.interface.js';
import { type Replay, replayShards, streamRanges } from './replay-reader.js';

// How long a resume waits for this instance's reader to reach the client's position, once the
// log shows that position exists (the client may come from an instance whose reader was a few ms
// ahead). Measured lag is single-digit ms.
const CATCH_UP_TIMEOUT_MS = 3000;
/** What one resume keeps in memory while it counts; a bigger replay is streamed. */
const HOLD_BYTES = 1024 * 1024;

/**
 * The third step of a resume: what the session missed, (client position, snapshot] on every
 * shard that can hold one of its topics. Nothing of it is sent here.
 */
export class SessionReplay {
  constructor(
    private readonly broker: Broker,
    private readonly runtime: RuntimeOptions,
    /** Where the replay's ranges are read: the in-memory window, else the backplane, shared. */
    private readonly reads: Pick<Broker, 'readRanges'>,
  ) {}

  /** Which topics of the log the session receives: its implicit topics and `filters`. */
  wanted(connection: Connection, filters: readonly string[]): WantedTopics {
    const implicit = new Set(implicitTopics(connection.id, connection.userId));
    // Exact filters only (the common case): the window visits these topics' entries alone.
    if (!filters.some(hasWildcard)) {
      for (const filter of filters) implicit.add(filter);
      return Object.assign((topic: string) => implicit.has(topic), { topics: implicit });
    }
    return (topic) => implicit.has(topic) || filters.some((f) => matchesFilter(f, topic));
  }

  /**
   * Reads what the session missed on the topics it `wanted` (`wanted(…)`), then waits
   * until this instance's reader is at the client's positions too: a live message the client
   * already has (from an instance whose reader was ahead) then reaches `connection.held`, where
   * the hand-over drops it, instead of arriving once the connection is live again. A position
   * ahead of everything in the log was never handed out: it answers `positions` at once.
   * @param from the client's positions, one per shard; null when they could not be read.
   * @throws BrokerUnavailableError when the backplane cannot be read.
   */
  async missed(
    wanted: WantedTopics,
    from: readonly ShardPosition[] | null,
    snapshot: readonly ShardPosition[],
  ): Promise<Replay> {
    if (!from || from.length !== this.broker.shards)
      return { recovered: false, reason: 'positions' };
    const ahead = from.filter(
      (p) => p.epoch === snapshot[p.shard].epoch && compareIds(p.id, snapshot[p.shard].id) > 0,
    );
    if (ahead.length > 0 && !(await this.exist(ahead, snapshot))) {
      return { recovered: false, reason: 'positions' };
    }
    // Without wildcards the wanted topics are known, and so are the only shards that hold them:
    // the others carry other topics' traffic, often most of the window, and are not read.
    const read = wanted.topics
      ? new Set([...wanted.topics].map((topic) => this.broker.shardOf(topic)))
      : null;
    const { maxReplay, maxReplayBytes } = this.runtime.options;
    const limits = { messages: maxReplay, bytes: maxReplayBytes, holdBytes: HOLD_BYTES };
    const replay = await replayShards(this.reads, from, snapshot, wanted, limits, read);
    if (replay.recovered && ahead.length > 0) {
      await Promise.all(ahead.map((p) => this.broker.untilDelivered(p, CATCH_UP_TIMEOUT_MS)));
    }
    return replay;
  }

  /**
   * Hands every message of a recovered replay to `send`, in order: from memory, or read again
   * page by page when it was too big to hold.
   * @returns false when the log no longer holds all of it (trimmed meanwhile): the client must
   *   resume again, and will be told what could not be recovered.
   */
  async forEachPage(
    replay: Extract<Replay, { recovered: true }>,
    wanted: WantedTopics,
    send: (messages: readonly BrokerMessage[]) => Promise<boolean>,
  ): Promise<boolean> {
    if (replay.messages !== null) {
      await send(replay.messages);
      return true;
    }
    return streamRanges(this.reads, replay.ranges, wanted, send);
  }

  /**
   * Whether the log holds, on every shard of `ahead`, an entry after this instance's reader and
   * up to the client's position: only then did that position come from the log (through a
   * reader ahead of ours), and is it worth waiting for.
   */
  private async exist(
    ahead: readonly ShardPosition[],
    snapshot: readonly ShardPosition[],
  ): Promise<boolean> {
    const ranges = ahead.map((p) => ({
      ...snapshot[p.shard],
      afterId: snapshot[p.shard].id,
      untilId: p.id,
    }));
    const pages = await this.broker.readRanges(ranges, 1, () => false);
    return pages.every(
      (page, i) => page.status === 'ok' && compareIds(page.lastId, ranges[i].afterId) > 0,
    );
  }
}

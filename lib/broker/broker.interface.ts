/**
 * What the adapter needs from a backplane. Two implementations pass one contract suite
 * (test/contract/broker.contract.ts): the embedded in-memory broker and Redis Streams.
 *
 * Model: topics hash onto `shards` ordered logs. Every entry gets an id that increases within
 * its shard (Redis stream ids: `<ms>-<seq>`), and each shard has an epoch that changes when its
 * log is lost. A position is therefore (shard, epoch, id), written as an offset string
 * `"<shard>:<epoch>:<id>"` (see offset.ts).
 */
export interface BrokerEntry {
  readonly topic: string;
  /** The payload as JSON text, serialized once by the publisher and never re-parsed on delivery. */
  readonly payload: string;
  /** Set for commands between instances (disconnect, session take-over); never sent to clients. */
  readonly control?: string;
}

export interface BrokerMessage extends BrokerEntry {
  readonly shard: number;
  /** Id within the shard's log, comparable with `compareIds`. */
  readonly id: string;
  /** `"<shard>:<epoch>:<id>"`, what the client keeps to resume. */
  readonly offset: string;
}

export interface ShardPosition {
  readonly shard: number;
  readonly epoch: string;
  readonly id: string;
}

/** Receives every message of every shard, in batches, in log order per shard. */
export type BrokerListener = (batch: readonly BrokerMessage[]) => void;

export type BrokerStatus = 'up' | 'down';

/**
 * A shard's log changed under this instance (`Broker.onShardReset`): every position of it with
 * `previous` epoch is void (a replay answers `epoch-changed`), and what the listener gets next
 * from that shard carries `epoch`.
 * - `'lost'`: the log is gone (Redis restarted empty); the reader reads the new log from its start.
 * - `'rewound'`: the log lost its newest entries (a replica promoted before it had them), entries
 *   this instance had delivered or had been acked; messages of the old history may be missing
 *   from what live connections got, and the reader goes on after the reset mark.
 */
export interface ShardReset {
  readonly shard: number;
  readonly previous: string;
  readonly epoch: string;
  readonly cause: 'lost' | 'rewound';
}

/** What the backplane is and whether it can be reached now (health checks, metrics). */
export interface BrokerHealth {
  /** `'memory'`, `'redis'`, `'redis-cluster'`, or a custom broker's own name. */
  readonly backplane: string;
  /** False while it is unreachable or closed: publishes fail, readers retry. */
  readonly up: boolean;
}

/** One page of a replay. `done` is true when the page reached the end of the log. */
export type ReplayPage =
  | { readonly status: 'ok'; readonly messages: BrokerMessage[]; readonly done: boolean }
  /** The shard's epoch differs from the client's: the log it read from no longer exists. */
  | { readonly status: 'epoch-changed' }
  /** Entries after the position were already trimmed (older than the retention window). */
  | { readonly status: 'window-exceeded' };

/** What a replay reads of one shard: the entries after `afterId`, up to and including `untilId`. */
export interface ReplayRange {
  readonly shard: number;
  /** The epoch `afterId` belongs to; another epoch in the log answers `epoch-changed`. */
  readonly epoch: string;
  readonly afterId: string;
  readonly untilId: string;
}

/**
 * Which topics a replay wants: a predicate over the topic of each entry read. `topics`, when
 * present, is every topic it accepts (no wildcard): a reader that indexes its entries by topic
 * (the in-memory replay window) visits those alone instead of testing every entry.
 */
export interface WantedTopics {
  (topic: string): boolean;
  readonly topics?: ReadonlySet<string>;
}

/**
 * One page of a {@link ReplayRange}. `lastId` is the last entry read, returned or not: the next
 * page starts after it. `done` is true when nothing is left up to `untilId`.
 */
export type RangePage =
  | {
      readonly status: 'ok';
      readonly messages: BrokerMessage[];
      readonly lastId: string;
      readonly done: boolean;
    }
  | { readonly status: 'epoch-changed' }
  | { readonly status: 'window-exceeded' };

export interface Broker {
  /** Number of shards; fixed for the life of a deployment. */
  readonly shards: number;

  /** Shard of a topic (stable hash; the same on every instance). */
  shardOf(topic: string): number;

  /** Connects and loads epochs. Called once in `onModuleInit`. */
  connect(): Promise<void>;

  /**
   * Starts delivering everything published from now on to `listener`.
   * Called once, after `connect`.
   */
  start(listener: BrokerListener): Promise<void>;

  /**
   * Appends an entry to its topic's shard.
   * @returns the offset of the stored entry.
   * @throws BrokerUnavailableError when the backplane cannot take it (within the documented bound).
   */
  publish(entry: BrokerEntry): Promise<string>;

  /** The last position delivered to the listener, per shard (what a new connection starts from). */
  positions(): ShardPosition[];

  /**
   * Waits until the listener has been given everything up to `position` on its shard: the
   * delivered id (as `positions()` reports it) is at or past `position.id`, or the shard's epoch
   * is another one (the position's log is gone). Resolves on the reader's progress, not by
   * polling; lib/broker/delivery-progress.ts does the bookkeeping for a broker.
   * @returns true at once when already reached, true when a later delivery reaches it, false
   *   when `timeoutMs` passes first or the broker is closed. Never rejects.
   */
  untilDelivered(position: ShardPosition, timeoutMs: number): Promise<boolean>;

  /**
   * Reads entries of one shard strictly after `afterId`, at most `limit`.
   * The first page checks that nothing after `afterId` was trimmed and that the epoch matches.
   */
  read(shard: number, epoch: string, afterId: string, limit: number): Promise<ReplayPage>;

  /**
   * One page of each range, read together (one round trip where the backplane allows), with the
   * same epoch and trim checks as `read` on every range, even an empty one. At most `limit`
   * entries are read per range; entries whose topic `wanted` rejects are read but not returned.
   * A broker without a batched read can page with `read`: `readRangesWithRead` in
   * lib/broker/read-ranges.ts.
   * @throws BrokerUnavailableError when the backplane cannot be read.
   */
  readRanges(
    ranges: readonly ReplayRange[],
    limit: number,
    wanted: WantedTopics,
  ): Promise<RangePage[]>;

  /**
   * Moves session `sessionId` to `generation` (recording `claim`, an id of the caller's, for
   * `confirmSession` and `releaseSession`) when that is greater than the generation stored for
   * it (0 when none), or equal to it while the stored claim is not confirmed, atomically, for
   * every instance: once a claim is confirmed, every other call with its generation gets false.
   * What is stored is forgotten `ttlMs` after this call.
   * Session tokens use it so that a resume supersedes every earlier token (SessionVerification).
   * Optional for a custom broker: without it, superseded tokens are refused only on the
   * instance that saw the resume (lib/broker/session-generations.ts; a warning at boot).
   * @returns true when `generation` was stored, false when the stored one was already as high.
   * @throws BrokerUnavailableError when the backplane cannot answer.
   */
  advanceSession?(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim?: string,
  ): Promise<boolean>;

  /**
   * Marks the `advanceSession` made with `claim` confirmed: its client has the token of that
   * generation, and the token before it is superseded for good. A no-op (false) when the session
   * is no longer at this claim. Implemented together with `advanceSession`.
   * @throws BrokerUnavailableError when the backplane cannot answer.
   */
  confirmSession?(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim: string,
  ): Promise<boolean>;

  /**
   * Undoes the `advanceSession` made with `claim` whose resume failed before answering (the
   * backplane stalled): the session goes back to `generation - 1` if it is still at the
   * `generation` this very claim stored (never another claim's), so that the
   * client's retry with the same token is accepted. Must reach the backplane after the claim
   * it undoes, even when that claim's answer timed out. Implemented together with `advanceSession`.
   * @returns whether it went back.
   * @throws BrokerUnavailableError when the backplane cannot answer.
   */
  releaseSession?(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim: string,
  ): Promise<boolean>;

  /**
   * Called when a shard's epoch changes under this instance ({@link ShardReset}), after
   * `positions()` reports the new epoch and before any message of it reaches the listener.
   * Optional: a broker whose logs never change under it need not have it.
   */
  onShardReset?(listener: (reset: ShardReset) => void): void;

  /** Called with 'down' when the backplane becomes unreachable and 'up' when it is back. */
  onStatus(listener: (status: BrokerStatus, error?: Error) => void): void;

  /** The current state, read on demand (a health check, a scrape). */
  health(): BrokerHealth;

  /** Flushes pending publishes, stops readers, closes connections. */
  close(): Promise<void>;
}

/**
 * `broker.health()`. A broker written in plain JavaScript before `health` was required may
 * lack it: it is reported as `{ backplane: 'custom', up: true }`, as before.
 */
export function brokerHealth(broker: Broker): BrokerHealth {
  return typeof broker.health === 'function' ? broker.health() : { backplane: 'custom', up: true };
}

import { Cluster } from 'ioredis';
import {
  type Broker,
  type BrokerEntry,
  type BrokerHealth,
  type BrokerListener,
  type BrokerStatus,
  type RangePage,
  type ReplayPage,
  type ReplayRange,
  type ShardPosition,
  type ShardReset,
} from '../broker.interface.js';
import { BrokerUnavailableError } from '../../errors/broker-unavailable.error.js';
import { DeliveryProgress } from '../delivery-progress.js';
import { compareIds, formatOffset, shardOfTopic } from '../../protocol/offset.js';
import {
  type BrokerConnections,
  createConnections,
  type RedisBacked,
  type RedisClient,
  unreachable,
} from './connection.js';
import { untilReady, withDeadline } from './deadline.js';
import { EpochCandidates, sessionKey, type ShardKeys, shardKeys } from './keys.js';
import { SessionScripts, type SessionMode } from './session-scripts.js';
import {
  type RedisStreamsBrokerOptions,
  type ResolvedRedisStreamsOptions,
  resolveOptions,
} from './redis-streams.options.js';
import { LOG_END, readRangePages } from './range-replay.js';
import { ShardReader } from './shard-reader.js';
import { loadEpochs, loadLastIds, type ReadState } from './shard-state.js';
import { StatusTracker } from './status-tracker.js';
import { StreamPublisher } from './stream-publisher.js';

/**
 * The production backplane: one Redis stream per shard, on a single node or a Redis Cluster
 * (DESIGN.md §3). Needs Redis ≥ 7.0 (`SET … NX GET`).
 *
 * Failure behaviour:
 * - `connect()` keeps trying for `connectTimeoutMs`, then rejects with an `Error` that names
 *   the address and how to fix it (start Redis, or use `memory://`).
 * - While Redis is unreachable, `publish` waits for it at most `publishTimeoutMs`, then rejects
 *   with `BrokerUnavailableError`; a rejected publish is never sent later. `read` rejects at once.
 * - Readers retry forever (backoff capped at `maxReconnectDelayMs`) and resume from the last
 *   delivered ids; a shard whose epoch changed (Redis lost its data) is read from its start.
 * - `onStatus` reports 'down' once per outage and 'up' when every connection is back.
 *
 * @example
 * const broker = new RedisStreamsBroker({ connection: 'redis://localhost:6379' });
 * await broker.connect();
 * await broker.start((batch) => deliver(batch));
 */
export class RedisStreamsBroker implements Broker, RedisBacked {
  readonly shards: number;
  private readonly options: ResolvedRedisStreamsOptions;
  private readonly keys: ShardKeys[];
  private readonly candidates = new EpochCandidates();
  private readonly status: StatusTracker;
  private readonly state: ReadState;
  private readonly progress: DeliveryProgress;
  private connections: BrokerConnections | null = null;
  private publisher: StreamPublisher | null = null;
  private readers: ShardReader[] = [];
  private phase: 'new' | 'connecting' | 'connected' | 'closed' = 'new';
  private closing: Promise<void> | null = null;
  private readonly resetListeners: ((reset: ShardReset) => void)[] = [];
  /** Claims, confirmations and releases of sessions, one script call per tick. */
  private readonly sessionScripts = new SessionScripts(() => this.requireConnected().publisher);

  /** @throws Error when an option is invalid (checked here, so mistakes fail at boot). */
  constructor(options: RedisStreamsBrokerOptions) {
    this.options = resolveOptions(options);
    this.shards = this.options.shards;
    this.keys = shardKeys(this.options.prefix, this.shards);
    this.state = { epochs: this.keys.map(() => ''), ids: this.keys.map(() => '0-0') };
    this.progress = new DeliveryProgress((shard) => this.positionOf(shard));
    this.status = new StatusTracker((error) =>
      this.options.logger.error(`RedisStreamsBroker: a status listener threw: ${String(error)}`),
    );
  }

  shardOf(topic: string): number {
    return shardOfTopic(topic, this.shards);
  }

  /**
   * Connects the publisher and loads (or creates) every shard's epoch.
   * @throws Error when Redis cannot be reached within `connectTimeoutMs`; the message says
   *   where and how to fix it. The broker can be connected again afterwards.
   */
  async connect(): Promise<void> {
    if (this.phase !== 'new') {
      throw new Error(`RedisStreamsBroker: connect() called while ${this.phase}.`);
    }
    this.phase = 'connecting';
    const { connectTimeoutMs, retentionMs, publishTimeoutMs } = this.options;
    const connections = createConnections(this.options);
    const client = connections.publisher;
    this.connections = connections;
    this.publisher = new StreamPublisher(
      client,
      this.keys,
      retentionMs,
      publishTimeoutMs,
      this.candidates,
      this.status,
      this.options.publishReplicas,
      this.options.publishReplicasTimeoutMs,
    );
    this.publisher.attach();
    try {
      if (client.status === 'end') throw new Error('the given ioredis instance was closed');
      if (client.status === 'wait') client.connect().catch(() => undefined);
      const deadline = Date.now() + connectTimeoutMs;
      await untilReady(client, connectTimeoutMs);
      const epochs = await withDeadline(
        loadEpochs(client, this.keys, this.candidates),
        Math.max(1, deadline - Date.now()),
        () => new Error('loading the shard epochs timed out'),
      );
      epochs.forEach((epoch, shard) => (this.state.epochs[shard] = epoch));
    } catch (error) {
      await this.release();
      this.phase = 'new';
      throw unreachable(connections.description, connectTimeoutMs, error);
    }
    this.phase = 'connected';
  }

  /**
   * Starts one reader loop per group of shards, from each shard's current last entry.
   * @throws BrokerUnavailableError when the start positions cannot be read.
   */
  async start(listener: BrokerListener): Promise<void> {
    const connections = this.requireConnected();
    if (this.readers.length > 0) throw new Error('RedisStreamsBroker: start() called twice.');
    const client = connections.publisher;
    const lastIds = await answered(
      loadLastIds(client, this.keys),
      this.options.connectTimeoutMs,
      'Reading the start positions',
    );
    lastIds.forEach((id, shard) => (this.state.ids[shard] = id));
    const shards = this.keys.map((_, shard) => shard);
    // XREAD takes keys of one slot only on a cluster (CROSSSLOT), so one loop per shard there.
    const groups = client instanceof Cluster ? shards.map((shard) => [shard]) : [shards];
    const context = {
      keys: this.keys,
      state: this.state,
      listener,
      progress: this.progress,
      status: this.status,
      candidates: this.candidates,
      options: this.options,
      open: connections.openReader,
      refreshTopology: () => {
        if (client instanceof Cluster) client.refreshSlotsCache();
      },
      known: (shard: number) => this.newestKnown(shard),
      reset: (reset: ShardReset) => this.emitReset(reset),
    };
    this.readers = groups.map((group) => new ShardReader(group, context));
    for (const reader of this.readers) reader.start();
  }

  /** @throws BrokerUnavailableError when closed, or when Redis did not confirm within `publishTimeoutMs`. */
  async publish(entry: BrokerEntry): Promise<string> {
    if (this.phase !== 'connected' || !this.publisher) throw this.notConnected();
    const shard = this.shardOf(entry.topic);
    const [epoch, id] = await this.publisher.publish(shard, entry);
    return formatOffset(shard, epoch, id);
  }

  positions(): ShardPosition[] {
    return this.state.ids.map((_, shard) => this.positionOf(shard));
  }

  /** Resolved by the reader loops as they deliver (or find a new epoch); false once closed. */
  untilDelivered(position: ShardPosition, timeoutMs: number): Promise<boolean> {
    return this.progress.until(position, timeoutMs);
  }

  /** @throws BrokerUnavailableError when Redis is unreachable or does not answer within `publishTimeoutMs`. */
  async read(shard: number, epoch: string, afterId: string, limit: number): Promise<ReplayPage> {
    const range = { shard, epoch, afterId, untilId: LOG_END };
    const [page] = await this.readRanges([range], limit, () => true);
    return page.status === 'ok' ? { status: 'ok', messages: page.messages, done: page.done } : page;
  }

  /**
   * One round trip for all `ranges` (one per shard on a cluster, in parallel).
   * @throws BrokerUnavailableError when Redis is unreachable or does not answer within `publishTimeoutMs`.
   */
  async readRanges(
    ranges: readonly ReplayRange[],
    limit: number,
    wanted: (topic: string) => boolean,
  ): Promise<RangePage[]> {
    const client = this.requireConnected().publisher;
    const pages = readRangePages(client, this.keys, ranges, limit, wanted);
    const shards = ranges.map((range) => range.shard).join(', ');
    return answered(pages, this.options.publishTimeoutMs, `Replaying shards ${shards}`);
  }

  /**
   * One script call on the session's own key (lua/advance-session.script.ts).
   * @throws BrokerUnavailableError when Redis is unreachable or does not answer within `publishTimeoutMs`.
   */
  advanceSession(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim = '',
  ): Promise<boolean> {
    return this.sessionScript(sessionId, generation, ttlMs, '', claim);
  }

  /**
   * The same script, undoing a claim; sent on the same connection as the claim, so Redis runs
   * it after the claim even when the claim's answer timed out (a stalled server).
   * @throws BrokerUnavailableError when Redis is unreachable or does not answer within `publishTimeoutMs`.
   */
  releaseSession(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim: string,
  ): Promise<boolean> {
    return this.sessionScript(sessionId, generation, ttlMs, 'release', claim);
  }

  /**
   * The same script, confirming a claim.
   * @throws BrokerUnavailableError when Redis is unreachable or does not answer within `publishTimeoutMs`.
   */
  confirmSession(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim: string,
  ): Promise<boolean> {
    return this.sessionScript(sessionId, generation, ttlMs, 'confirm', claim);
  }

  private async sessionScript(
    sessionId: string,
    generation: number,
    ttlMs: number,
    mode: SessionMode,
    claim: string,
  ): Promise<boolean> {
    this.requireConnected();
    const key = sessionKey(this.options.prefix, sessionId);
    const reply = this.sessionScripts.run(key, generation, ttlMs, mode, claim);
    return answered(reply, this.options.publishTimeoutMs, `Claiming session ${sessionId}`);
  }

  /** Told by the readers when a shard's epoch changes under this instance (issue 19). */
  onShardReset(listener: (reset: ShardReset) => void): void {
    this.resetListeners.push(listener);
  }

  onStatus(listener: (status: BrokerStatus, error?: Error) => void): void {
    this.status.on(listener);
  }

  /** Up once connected, as long as the publisher and every reader are connected (`onStatus`). */
  health(): BrokerHealth {
    const cluster = this.connections?.publisher instanceof Cluster;
    return {
      backplane: cluster ? 'redis-cluster' : 'redis',
      up: this.phase === 'connected' && this.status.isUp,
    };
  }

  /** Prefix of every key this broker writes ({@link RedisBacked}). */
  get keyPrefix(): string {
    return this.options.prefix;
  }

  /**
   * The publishing connection, shared with presence storage ({@link RedisBacked}).
   * @throws BrokerUnavailableError before `connect()`.
   */
  redisClient(): RedisClient {
    return this.requireConnected().publisher;
  }

  /** Waits for publishes in flight, stops the readers and closes what the broker opened. */
  close(): Promise<void> {
    this.phase = 'closed';
    this.closing ??= this.release();
    return this.closing;
  }

  private async release(): Promise<void> {
    await this.publisher?.drain();
    await Promise.all(this.readers.map((reader) => reader.stop()));
    this.readers = [];
    if (this.phase === 'closed') this.progress.close();
    this.publisher?.detach();
    const connections = this.connections;
    if (connections?.owned) {
      const client = connections.publisher;
      await withDeadline(client.quit(), 1000, () => new Error('quit timed out')).catch(
        () => undefined,
      );
      client.disconnect();
    }
  }

  /**
   * The newer of what the reader delivered and what a publish was acked, in the current epoch:
   * acked before the publisher's connection last broke, while the reader has not read past it
   * (what a promoted replica acks afterwards says nothing about what the old primary lost).
   */
  private newestKnown(shard: number): string {
    const delivered = this.state.ids[shard];
    const epoch = this.state.epochs[shard];
    const publisher = this.publisher;
    if (!publisher) return delivered;
    const before = publisher.ackedBeforeLoss[shard];
    if (before && (before.epoch !== epoch || compareIds(before.id, delivered) <= 0)) {
      publisher.ackedBeforeLoss[shard] = null;
    }
    const acked = publisher.ackedBeforeLoss[shard] ?? publisher.acked[shard];
    if (acked.epoch !== epoch) return delivered;
    return compareIds(acked.id, delivered) > 0 ? acked.id : delivered;
  }

  private emitReset(reset: ShardReset): void {
    // A new epoch is progress too: positions of the old log have nothing left to wait for.
    this.progress.advanced(reset.shard);
    for (const listener of this.resetListeners) {
      try {
        listener(reset);
      } catch (error) {
        this.options.logger.error(
          `RedisStreamsBroker: a shard reset listener threw: ${String(error)}`,
        );
      }
    }
  }

  private positionOf(shard: number): ShardPosition {
    return { shard, epoch: this.state.epochs[shard], id: this.state.ids[shard] };
  }

  private requireConnected(): BrokerConnections {
    if (this.phase !== 'connected' || !this.connections) throw this.notConnected();
    return this.connections;
  }

  private notConnected(): BrokerUnavailableError {
    return new BrokerUnavailableError(
      `The Redis Streams broker is ${this.phase === 'closed' ? 'closed' : 'not connected'}.`,
    );
  }
}

/** `work`, bounded by `ms`; any failure becomes `BrokerUnavailableError("<what> failed: …")`. */
function answered<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(work, ms, () => new Error(`no answer within ${ms} ms`)).catch(
    (error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BrokerUnavailableError(`${what} failed: ${reason}`, { cause: error });
    },
  );
}

import { randomBytes } from 'node:crypto';
import {
  type Broker,
  type BrokerEntry,
  type BrokerHealth,
  type BrokerListener,
  type BrokerMessage,
  type BrokerStatus,
  type RangePage,
  type ReplayPage,
  type ReplayRange,
  type ShardPosition,
} from '../broker.interface.js';
import { DeliveryProgress } from '../delivery-progress.js';
import { readRangesWithRead } from '../read-ranges.js';
import { LocalSessionGenerations } from '../session-generations.js';
import { BrokerUnavailableError } from '../../errors/broker-unavailable.error.js';
import { compareIds, formatOffset, shardOfTopic } from '../../protocol/offset.js';
import { ShardLog } from './shard-log.js';

export interface InMemoryBrokerOptions {
  /** @default 16 */
  shards?: number;
  /** How long entries stay replayable, in ms. @default 300_000 (5 minutes) */
  retentionMs?: number;
  /** Entries kept per shard at most, whatever their age: bounds memory in development. @default 10_000 */
  maxEntriesPerShard?: number;
}

/**
 * The embedded broker: one process, no service to run. Same model as Redis Streams
 * (sharded logs, stream-like ids, an epoch, a time-based retention window), so everything
 * built on the broker — resume included — behaves the same in development.
 */
export class InMemoryBroker implements Broker {
  readonly shards: number;
  private readonly epoch = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x');
  private readonly logs: ShardLog[];
  private readonly delivered: string[];
  private readonly progress = new DeliveryProgress((shard) => this.positionOf(shard));
  private readonly sessions = new LocalSessionGenerations();
  private listener: BrokerListener | null = null;
  private pending: BrokerMessage[] = [];
  private flushScheduled = false;
  private closed = false;

  constructor(options: InMemoryBrokerOptions = {}) {
    this.shards = options.shards ?? 16;
    const retentionMs = options.retentionMs ?? 300_000;
    const maxEntries = options.maxEntriesPerShard ?? 10_000;
    this.logs = Array.from({ length: this.shards }, () => new ShardLog(retentionMs, maxEntries));
    this.delivered = this.logs.map(() => '0-0');
  }

  shardOf(topic: string): number {
    return shardOfTopic(topic, this.shards);
  }

  async connect(): Promise<void> {}

  async start(listener: BrokerListener): Promise<void> {
    this.listener = listener;
    this.logs.forEach((log, shard) => (this.delivered[shard] = log.lastId));
  }

  async publish(entry: BrokerEntry): Promise<string> {
    if (this.closed) {
      throw new BrokerUnavailableError('The in-memory broker is closed.');
    }
    const shard = this.shardOf(entry.topic);
    const id = this.logs[shard].append(entry);
    const offset = formatOffset(shard, this.epoch, id);
    if (this.listener) {
      this.pending.push({ ...entry, shard, id, offset });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // One batch per turn of the event loop, as a reader loop would deliver them.
        setImmediate(() => this.flush());
      }
    }
    return offset;
  }

  positions(): ShardPosition[] {
    return this.delivered.map((_, shard) => this.positionOf(shard));
  }

  untilDelivered(position: ShardPosition, timeoutMs: number): Promise<boolean> {
    return this.progress.until(position, timeoutMs);
  }

  async read(shard: number, epoch: string, afterId: string, limit: number): Promise<ReplayPage> {
    if (epoch !== this.epoch) {
      return { status: 'epoch-changed' };
    }
    const log = this.logs[shard];
    if (compareIds(afterId, log.trimmedUpTo) < 0) {
      return { status: 'window-exceeded' };
    }
    const { entries, done } = log.after(afterId, limit);
    const messages = entries.map((e) => ({
      topic: e.topic,
      payload: e.payload,
      control: e.control,
      shard,
      id: e.id,
      offset: formatOffset(shard, this.epoch, e.id),
    }));
    return { status: 'ok', messages, done };
  }

  /** No batched read in memory: each range is one `read` (all answered in the same turn). */
  readRanges(
    ranges: readonly ReplayRange[],
    limit: number,
    wanted: (topic: string) => boolean,
  ): Promise<RangePage[]> {
    return readRangesWithRead(this, ranges, limit, wanted);
  }

  /** @throws BrokerUnavailableError once closed. */
  async advanceSession(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim = '',
  ): Promise<boolean> {
    if (this.closed) throw new BrokerUnavailableError('The in-memory broker is closed.');
    return this.sessions.advance(sessionId, generation, ttlMs, claim);
  }

  async releaseSession(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim: string,
  ): Promise<boolean> {
    return this.sessions.release(sessionId, generation, ttlMs, claim);
  }

  async confirmSession(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim: string,
  ): Promise<boolean> {
    return this.sessions.confirm(sessionId, generation, ttlMs, claim);
  }

  onStatus(_listener: (status: BrokerStatus, error?: Error) => void): void {
    // Always up: there is nothing between the publisher and the log.
  }

  health(): BrokerHealth {
    return { backplane: 'memory', up: !this.closed };
  }

  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    this.listener = null;
    this.progress.close();
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    for (const message of batch) this.delivered[message.shard] = message.id;
    try {
      this.listener?.(batch);
    } finally {
      // After the listener: whoever waits for a position finds its messages already handed over.
      // Almost always nobody waits (only a resume, briefly): then nothing is collected per batch.
      if (this.progress.anyWaiting) {
        for (const shard of new Set(batch.map((m) => m.shard))) this.progress.advanced(shard);
      }
    }
  }

  private positionOf(shard: number): ShardPosition {
    return { shard, epoch: this.epoch, id: this.delivered[shard] };
  }
}

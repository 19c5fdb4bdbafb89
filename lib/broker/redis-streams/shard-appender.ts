import { Cluster, type Redis } from 'ioredis';
import type { BrokerEntry } from '../broker.interface.js';
import { keySlot } from './key-slot.js';
import type { RedisClient } from './connection.js';
import type { EpochCandidates, ShardKeys } from './keys.js';
import { PUBLISH_COMMAND, PUBLISH_SCRIPT } from './lua/publish.script.js';

type PublishCommand = (
  this: RedisClient,
  log: string,
  epochKey: string,
  trimmedKey: string,
  candidateEpoch: string,
  retentionMsOrNoTrim: number | '',
  ...entryTriples: string[]
) => Promise<string[]>;

/**
 * Appends entries to a shard's log with one call of the publish script
 * (lua/publish.script.ts): the epoch a shard without one takes, and a trim of the shard's old
 * entries at most once per second.
 */
export class ShardAppender {
  /** When each shard may be trimmed next. */
  private readonly nextTrimAt: number[];
  private readonly trimEveryMs: number;
  /** The script's command, looked up once rather than on every publish. */
  private readonly command: PublishCommand;
  /** The WAIT sent this tick, by node (`waitReplicas`). */
  private readonly waits = new Map<Redis | Cluster, Promise<number>>();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: ShardKeys[],
    private readonly retentionMs: number,
    private readonly candidates: EpochCandidates,
  ) {
    this.nextTrimAt = keys.map(() => 0);
    this.trimEveryMs = Math.min(1000, retentionMs);
    // EVALSHA, falling back to EVAL after a Redis restart. A given client may have it already.
    if (typeof (client as any)[PUBLISH_COMMAND] !== 'function') {
      client.defineCommand(PUBLISH_COMMAND, { numberOfKeys: 3, lua: PUBLISH_SCRIPT });
    }
    this.command = (client as any)[PUBLISH_COMMAND] as PublishCommand;
  }

  /**
   * @returns the script's reply: the shard's epoch, then the id of each entry, in order.
   * @throws (or rejects with) what the client throws.
   */
  append(shard: number, entries: readonly { readonly entry: BrokerEntry }[]): Promise<string[]> {
    const keys = this.keys[shard];
    const triples: string[] = [];
    for (const { entry } of entries) {
      triples.push(entry.topic, entry.payload, entry.control ?? '');
    }
    return this.command.call(
      this.client,
      keys.log,
      keys.epoch,
      keys.trimmed,
      this.candidates.next(),
      this.trimDue(shard) ? this.retentionMs : '',
      ...triples,
    );
  }

  /**
   * `WAIT replicas timeoutMs` on the connection that appended the shard's last batch: Redis
   * answers how many replicas acknowledged every write made so far on that connection. WAIT is
   * per connection (per node on a cluster: the shard's master, through the cluster's own
   * connection to it). Sent after the script's reply, never pipelined with it: a script that
   * fell back from EVALSHA to EVAL (a promoted replica without it) would be written after the
   * WAIT, which would then count replicas of older writes.
   * @returns how many replicas acknowledged.
   * @throws (or rejects with) what the client throws, or when no known node holds the shard.
   */
  waitReplicas(shard: number, replicas: number, timeoutMs: number): Promise<number> {
    const node = this.nodeOf(shard);
    // Batches whose replies came in one tick share one WAIT on their node: it counts every write
    // sent before it, theirs included. One WAIT each blocked the connection once per shard, up
    // to `timeoutMs` each while a replica was missing.
    let wait = this.waits.get(node);
    if (wait === undefined) {
      wait = node.call('WAIT', replicas, timeoutMs) as Promise<number>;
      if (this.waits.size === 0) process.nextTick(() => this.waits.clear());
      this.waits.set(node, wait);
    }
    return wait;
  }

  private nodeOf(shard: number): Redis | Cluster {
    if (!(this.client instanceof Cluster)) return this.client;
    const master = this.client.slots[keySlot(this.keys[shard].log)]?.[0];
    const node = this.client
      .nodes('master')
      .find((n) => `${n.options.host}:${n.options.port}` === master);
    if (!node) throw new Error(`no known Redis Cluster master holds shard ${shard}`);
    return node;
  }

  private trimDue(shard: number): boolean {
    const now = Date.now();
    if (now < this.nextTrimAt[shard]) return false;
    this.nextTrimAt[shard] = now + this.trimEveryMs;
    return true;
  }
}

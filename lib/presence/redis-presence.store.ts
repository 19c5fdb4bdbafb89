import { randomBytes } from 'node:crypto';
import type { RedisBacked, RedisClient } from '../broker/redis-streams/connection.js';
import type { PresenceMember } from '../protocol/frames.js';
import { compare } from './in-memory-presence.store.js';
import type {
  PresenceChange,
  PresenceStore,
  PresenceStoreOptions,
} from './presence-store.interface.js';
import { leaveIfOwned, withPresenceCommands } from './redis-presence.commands.js';
import { decodeEntry, encodeEntry, PresenceKeys } from './redis-presence.keys.js';
import { LiveEntries } from './redis-presence.reader.js';
import { removeInstance, sweepDeadInstances } from './redis-presence.sweep.js';

interface Owned {
  readonly member: PresenceMember;
  readonly socket: string;
}

/**
 * Presence shared by every instance through Redis (≥ 7.0, single node or Cluster). Redis 7.0
 * has no per-field TTL (HEXPIRE is 7.4+), so liveness is per instance: each entry names its
 * instance, each instance renews a key with a TTL, readers leave out entries of instances whose
 * key lapsed, and `maintain` on any live instance deletes them (see redis-presence.keys.ts).
 *
 * This instance's own entries are mirrored in memory: the mirror is the truth the store repairs
 * Redis from after a failed write, after Redis lost its data, or after this instance was taken
 * for dead (a stall longer than the TTL), in which case it continues under a new instance id so
 * that a sweep of the old one cannot delete what it rewrites. Each join renews the liveness key
 * too: one that lapsed is registered again before the join returns (so an acked member is in
 * every answer), and the rest of the mirror is rewritten at once (`onRepairNeeded`), not at the
 * next renewal. Answers on this instance take its own members from the mirror.
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly keys: PresenceKeys;
  private readonly seed = randomBytes(6).toString('base64url');
  private generation = 1;
  private instance = `${this.seed}.1`;
  private readonly own = new Map<string, Map<string, Owned>>();
  /** Removals that failed, retried by `maintain`, by `<topic>\n<connection id>`. */
  private readonly failedLeaves = new Map<string, { topic: string; id: string; socket: string }>();
  private dirty = false;
  private registered = false;
  private renewing: Promise<void> | null = null;
  private repairNeeded: (() => void) | null = null;

  private connection: RedisClient | null = null;

  /**
   * @param broker whose connection the store shares, once it is connected: the store is made
   *   with the module's providers, before the broker connects.
   */
  constructor(
    private readonly broker: RedisBacked,
    private readonly options: PresenceStoreOptions,
  ) {
    this.keys = new PresenceKeys(broker.keyPrefix);
  }

  private get client(): RedisClient {
    if (this.connection !== null) return this.connection;
    return (this.connection = withPresenceCommands(this.broker.redisClient()));
  }

  /** This instance's id in Redis (it changes when the instance was taken for dead). */
  get instanceId(): string {
    return this.instance;
  }

  /**
   * Writes the entry and renews the liveness key in the same round trip; a lapsed key (Redis
   * restarted empty, or this instance was taken for dead) is registered again before this
   * returns, so that the entry is in every instance's next answer once the join is acked.
   */
  async join(topic: string, member: PresenceMember, socket: string): Promise<boolean> {
    let entries = this.own.get(topic);
    const firstHere = !entries;
    if (!entries) this.own.set(topic, (entries = new Map()));
    const owned = { member, socket };
    entries.set(member.connectionId, owned);
    this.failedLeaves.delete(`${topic}\n${member.connectionId}`);
    try {
      const instance = this.instance;
      // The topic is listed before the entry exists: a sweep after a crash always finds it.
      if (firstHere) await this.client.sadd(this.keys.topicsOf(instance), topic);
      const [renewed, added] = await Promise.all([
        this.client.pexpire(this.keys.alive(instance), this.options.ttlMs),
        this.client.hset(
          this.keys.topic(topic),
          member.connectionId,
          encodeEntry({ instance, ...owned }),
        ),
      ]);
      if (renewed !== 1) await this.recover(instance);
      if (this.instance !== instance && entries.get(member.connectionId) === owned) {
        await this.client.sadd(this.keys.topicsOf(this.instance), topic);
        await this.client.hset(
          this.keys.topic(topic),
          member.connectionId,
          encodeEntry({ instance: this.instance, ...owned }),
        );
      }
      return added === 1;
    } catch (error) {
      this.dirty = true;
      throw error;
    }
  }

  async leave(topic: string, connectionId: string, socket: string): Promise<PresenceMember | null> {
    const entries = this.own.get(topic);
    if (entries?.get(connectionId)?.socket !== socket) return null;
    entries.delete(connectionId);
    if (entries.size === 0) this.own.delete(topic);
    try {
      return await this.removeEntry(topic, connectionId, socket);
    } catch (error) {
      this.failedLeaves.set(`${topic}\n${connectionId}`, { topic, id: connectionId, socket });
      throw error;
    }
  }

  async members(topic: string, limit = Infinity): Promise<PresenceMember[]> {
    const key = this.keys.topic(topic);
    const mine = this.own.get(topic);
    const reader = new LiveEntries(this.client, this.keys, (id) => this.owns(id));
    if (limit === Infinity) {
      await reader.add(Object.values(await this.client.hgetall(key)));
    } else {
      await reader.scan(key, limit, mine);
    }
    const found = reader.found;
    // This instance's own entries are its mirror: what it acked, even while Redis lacks it.
    for (const [id, { member }] of mine ?? []) if (!found.has(id)) found.set(id, member);
    return [...found.values()]
      .sort((a, b) => compare(a.connectionId, b.connectionId))
      .slice(0, limit);
  }

  async count(topic: string): Promise<number> {
    return this.client.hlen(this.keys.topic(topic));
  }

  onRepairNeeded(listener: () => void): void {
    this.repairNeeded = listener;
  }

  async maintain(): Promise<PresenceChange[]> {
    await this.renewOnce();
    const changes: PresenceChange[] = [];
    if (this.dirty) {
      this.dirty = false;
      try {
        changes.push(...(await this.rewriteOwn()));
      } catch (error) {
        this.dirty = true;
        throw error;
      }
    }
    for (const [key, { topic, id, socket }] of [...this.failedLeaves]) {
      const member = await this.removeEntry(topic, id, socket);
      this.failedLeaves.delete(key);
      if (member) changes.push({ topic, action: 'leave', member });
    }
    changes.push(...(await sweepDeadInstances(this.client, this.keys, this.instance)));
    return changes;
  }

  async close(): Promise<PresenceChange[]> {
    const topics = [...this.own.keys()];
    this.own.clear();
    const changes = await removeInstance(this.client, this.keys, this.instance, topics);
    await this.client.del(this.keys.alive(this.instance));
    return changes;
  }

  /** Whether an instance id is one of this instance's, current or former. */
  private owns(instance: string): boolean {
    return instance.startsWith(`${this.seed}.`);
  }

  /** A join found `lapsed` without liveness: register again (once), then have the rest repaired. */
  private async recover(lapsed: string): Promise<void> {
    if (lapsed !== this.instance) {
      await this.renewing;
      return;
    }
    await this.renewOnce();
    if (this.dirty) this.repairNeeded?.();
  }

  /** One renewal at a time: a join and the maintenance that find it lapsed register once. */
  private renewOnce(): Promise<void> {
    this.renewing ??= this.renew().finally(() => (this.renewing = null));
    return this.renewing;
  }

  /** Renews the liveness key; a lapsed one means others may have swept us: continue anew. */
  private async renew(): Promise<void> {
    const { ttlMs } = this.options;
    if (this.registered && (await this.client.pexpire(this.keys.alive(this.instance), ttlMs))) {
      return;
    }
    if (this.registered) {
      const lapsed = this.instance;
      this.instance = `${this.seed}.${++this.generation}`;
      this.dirty = true;
      // A join may have listed a topic under the lapsed id after Redis restarted empty.
      await this.client.del(this.keys.topicsOf(lapsed));
    }
    await this.client.set(this.keys.alive(this.instance), '1', 'PX', ttlMs);
    await this.client.sadd(this.keys.instances, this.instance);
    this.registered = true;
  }

  /** Writes every own entry under the current instance id; new fields are joins. */
  private async rewriteOwn(): Promise<PresenceChange[]> {
    const changes: PresenceChange[] = [];
    for (const [topic, entries] of [...this.own]) {
      await this.client.sadd(this.keys.topicsOf(this.instance), topic);
      const writes = [...entries].map(async ([id, owned]) => {
        // Skipped when it left meanwhile: its removal was sent before this write would be.
        if (entries.get(id) !== owned) return;
        const value = encodeEntry({ instance: this.instance, ...owned });
        if ((await this.client.hset(this.keys.topic(topic), id, value)) === 1) {
          changes.push({ topic, action: 'join', member: owned.member });
        }
      });
      await Promise.all(writes);
    }
    return changes;
  }

  private async removeEntry(
    topic: string,
    connectionId: string,
    socket: string,
  ): Promise<PresenceMember | null> {
    const removed = await leaveIfOwned(this.client, this.keys.topic(topic), connectionId, socket);
    // Checked after the answer: a join of the same topic meanwhile listed it again.
    if (!this.own.has(topic)) await this.client.srem(this.keys.topicsOf(this.instance), topic);
    return typeof removed === 'string' ? (decodeEntry(removed)?.member ?? null) : null;
  }
}

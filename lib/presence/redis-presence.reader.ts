import type { RedisClient } from '../broker/redis-streams/connection.js';
import type { PresenceMember } from '../protocol/frames.js';
import { decodeEntry, type PresenceKeys, type StoredEntry } from './redis-presence.keys.js';

/**
 * The entries of one topic's hash that belong to live instances, as a `presence` answer reads
 * them: each other instance's liveness is asked once per answer, and entries of the reading
 * instance (`own`) are left to its mirror.
 */
export class LiveEntries {
  /** By connection id. */
  readonly found = new Map<string, PresenceMember>();
  private readonly alive = new Map<string, boolean>();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: PresenceKeys,
    private readonly own: (instance: string) => boolean,
  ) {}

  /** Keeps the live ones of these stored values. */
  async add(values: readonly string[]): Promise<void> {
    const entries = values
      .map(decodeEntry)
      .filter((e): e is StoredEntry => e !== null && !this.own(e.instance));
    const unknown = [...new Set(entries.map((e) => e.instance))].filter((i) => !this.alive.has(i));
    const exists = await Promise.all(unknown.map((i) => this.client.exists(this.keys.alive(i))));
    unknown.forEach((instance, i) => this.alive.set(instance, exists[i] === 1));
    for (const entry of entries) {
      if (this.alive.get(entry.instance)) this.found.set(entry.member.connectionId, entry.member);
    }
  }

  /**
   * Reads `key` with HSCAN, `limit` fields a call, until `limit` members are known (counting
   * `mine`, the reader's own members of the topic) or the hash is read through: a topic with
   * 20,000 members costs an answer about `limit` fields, not 20,000 (an HGETALL would).
   */
  async scan(key: string, limit: number, mine?: ReadonlyMap<string, unknown>): Promise<void> {
    let cursor = '0';
    do {
      const [next, flat] = await this.client.hscan(key, cursor, 'COUNT', limit);
      await this.add(flat.filter((_, i) => i % 2 === 1));
      cursor = next;
    } while (cursor !== '0' && this.known(mine) < limit);
  }

  private known(mine?: ReadonlyMap<string, unknown>): number {
    let count = this.found.size;
    for (const id of mine?.keys() ?? []) if (!this.found.has(id)) count++;
    return count;
  }
}

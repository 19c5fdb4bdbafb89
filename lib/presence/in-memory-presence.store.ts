import type { PresenceMember } from '../protocol/frames.js';
import type { PresenceChange, PresenceStore } from './presence-store.interface.js';

interface Entry {
  readonly member: PresenceMember;
  readonly socket: string;
}

/**
 * Presence of one instance, in memory: what the embedded broker uses, and any broker that does
 * not provide a storage shared by instances. Nothing can die without this store dying with it,
 * so there is nothing to expire; a topic's map is dropped with its last member.
 */
export class InMemoryPresenceStore implements PresenceStore {
  private readonly topics = new Map<string, Map<string, Entry>>();

  async join(topic: string, member: PresenceMember, socket: string): Promise<boolean> {
    let entries = this.topics.get(topic);
    if (!entries) this.topics.set(topic, (entries = new Map()));
    const existed = entries.has(member.connectionId);
    entries.set(member.connectionId, { member: { ...member }, socket });
    return !existed;
  }

  async leave(topic: string, connectionId: string, socket: string): Promise<PresenceMember | null> {
    const entries = this.topics.get(topic);
    const entry = entries?.get(connectionId);
    if (!entries || entry?.socket !== socket) return null;
    entries.delete(connectionId);
    if (entries.size === 0) this.topics.delete(topic);
    return entry.member;
  }

  async members(topic: string, limit = Infinity): Promise<PresenceMember[]> {
    const entries = this.topics.get(topic);
    if (!entries) return [];
    return [...entries.values()]
      .sort((a, b) => compare(a.member.connectionId, b.member.connectionId))
      .slice(0, limit)
      .map(({ member }) => ({ ...member }));
  }

  async count(topic: string): Promise<number> {
    return this.topics.get(topic)?.size ?? 0;
  }

  async maintain(): Promise<PresenceChange[]> {
    return [];
  }

  async close(): Promise<PresenceChange[]> {
    const changes: PresenceChange[] = [];
    for (const [topic, entries] of this.topics) {
      for (const { member } of entries.values()) changes.push({ topic, action: 'leave', member });
    }
    this.topics.clear();
    return changes;
  }
}

/** Code-unit order, the same on every platform (localeCompare is not). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import type { PresenceMember } from '../protocol/frames.js';

/**
 * What one connection holds in presence: its entry per topic and the bytes of their `info`, so
 * that the total a connection may hold (`maxPresenceInfoBytesPerConnection`) is checked in O(1).
 */
export class PresenceHolding {
  private readonly entries = new Map<string, { member: PresenceMember; bytes: number }>();
  private bytes = 0;

  /** Bytes of info held now. */
  get infoBytes(): number {
    return this.bytes;
  }

  /** Bytes of info held if `topic`'s info were replaced by one of `bytes` bytes. */
  infoBytesWith(topic: string, bytes: number): number {
    return this.bytes - (this.entries.get(topic)?.bytes ?? 0) + bytes;
  }

  get(topic: string): PresenceMember | undefined {
    return this.entries.get(topic)?.member;
  }

  set(topic: string, member: PresenceMember, bytes: number): void {
    this.bytes = this.infoBytesWith(topic, bytes);
    this.entries.set(topic, { member, bytes });
  }

  delete(topic: string): void {
    this.bytes -= this.entries.get(topic)?.bytes ?? 0;
    this.entries.delete(topic);
  }

  /** Topic and member of every entry (a copy: entries may be deleted meanwhile). */
  list(): [string, PresenceMember][] {
    return [...this.entries].map(([topic, { member }]) => [topic, member]);
  }
}

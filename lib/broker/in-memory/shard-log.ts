import type { BrokerEntry } from '../broker.interface.js';
import { compareIds } from '../../protocol/offset.js';

export interface LogEntry extends BrokerEntry {
  readonly id: string;
  readonly at: number;
}

/**
 * One shard's log: append-only, ids `<ms>-<seq>` like Redis streams, trimmed by age and
 * count. `trimmedUpTo` is the newest id ever removed, which tells a replay whether the
 * reader's position is still covered (Redis keeps the same fact as `max-deleted-entry-id`).
 */
export class ShardLog {
  private entries: LogEntry[] = [];
  private head = 0;
  private lastMs = 0;
  private lastSeq = 0;
  lastId = '0-0';
  trimmedUpTo = '0-0';

  constructor(
    private readonly retentionMs: number,
    private readonly maxEntries: number,
  ) {}

  append(entry: BrokerEntry): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastSeq = 0;
    } else {
      this.lastSeq++;
    }
    const id = `${this.lastMs}-${this.lastSeq}`;
    this.entries.push({
      topic: entry.topic,
      payload: entry.payload,
      control: entry.control,
      id,
      at: now,
    });
    this.lastId = id;
    this.trim(now);
    return id;
  }

  /** Entries with an id strictly greater than `afterId`, at most `limit`. */
  after(afterId: string, limit: number): { entries: LogEntry[]; done: boolean } {
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(this.entries[mid].id, afterId) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const end = Math.min(this.entries.length, lo + limit);
    return { entries: this.entries.slice(lo, end), done: end === this.entries.length };
  }

  private trim(now: number): void {
    const minAt = now - this.retentionMs;
    while (
      this.head < this.entries.length &&
      (this.entries.length - this.head > this.maxEntries || this.entries[this.head].at < minAt)
    ) {
      this.trimmedUpTo = this.entries[this.head].id;
      this.head++;
    }
    // Compact once the dead prefix dominates, so trimming stays O(1) amortized.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

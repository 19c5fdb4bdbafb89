import { compareIds, formatOffset, parseOffset } from '../protocol/offset.js';

/**
 * The newest position the client holds on each shard: what a `resume` sends, and what
 * de-duplicates deliveries. Positions of one epoch only ever move forward; a new epoch (the
 * backplane lost its logs) restarts the shard's position.
 */
export class ShardPositions {
  private readonly byShard = new Map<number, { epoch: string; id: string }>();

  /** Replaces every position (`welcome` and `positions` frames). Unparseable entries are skipped. */
  replaceAll(offsets: readonly unknown[]): void {
    this.byShard.clear();
    for (const raw of offsets) {
      const offset = parseOffset(raw);
      if (offset) this.byShard.set(offset.shard, { epoch: offset.epoch, id: offset.id });
    }
  }

  /**
   * Records a delivered message's offset.
   * @returns false when the message is not newer than the shard's position in the same epoch:
   *   a duplicate, which must not be delivered again. An offset that cannot be parsed is
   *   accepted (delivered) without moving any position.
   */
  accept(offset: unknown): boolean {
    const parsed = parseOffset(offset);
    if (!parsed) return true;
    const current = this.byShard.get(parsed.shard);
    if (current && current.epoch === parsed.epoch && compareIds(parsed.id, current.id) <= 0) {
      return false;
    }
    this.byShard.set(parsed.shard, { epoch: parsed.epoch, id: parsed.id });
    return true;
  }

  /** The positions as offsets, ordered by shard (the shape `resume` expects). */
  toArray(): string[] {
    return [...this.byShard.entries()]
      .sort(([a], [b]) => a - b)
      .map(([shard, { epoch, id }]) => formatOffset(shard, epoch, id));
  }
}

import type { ShardPosition } from './broker.interface.js';
import { compareIds } from '../protocol/offset.js';

interface Waiter {
  readonly target: ShardPosition;
  settle(reached: boolean): void;
}

/**
 * Whether a reader at `delivered` has delivered everything up to `target`: it is at or past the
 * target's id, or it reads another epoch (the target's log is gone, there is nothing to wait for).
 */
function hasReached(delivered: ShardPosition, target: ShardPosition): boolean {
  return delivered.epoch !== target.epoch || compareIds(delivered.id, target.id) >= 0;
}

/**
 * Who waits for a broker's reader to deliver up to a position (`Broker.untilDelivered`). The
 * broker calls `advanced(shard)` after each batch it handed to its listener, and after a
 * shard's epoch changed; waiters are checked there, so nobody polls.
 */
export class DeliveryProgress {
  private readonly byShard = new Map<number, Set<Waiter>>();
  private closed = false;

  /** @param delivered the position the listener has been given, per shard (`positions()[shard]`). */
  constructor(private readonly delivered: (shard: number) => ShardPosition) {}

  /**
   * Resolves true once `target` is reached ({@link hasReached}): at once when it already is, else
   * on the `advanced` call that gets there. Resolves false after `timeoutMs`, or when the broker
   * closes first.
   */
  until(target: ShardPosition, timeoutMs: number): Promise<boolean> {
    if (hasReached(this.delivered(target.shard), target)) return Promise.resolve(true);
    if (this.closed || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let waiters = this.byShard.get(target.shard);
      if (!waiters) this.byShard.set(target.shard, (waiters = new Set()));
      const timer = setTimeout(() => waiter.settle(false), timeoutMs);
      const waiter: Waiter = {
        target,
        settle: (reached) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (waiters.size === 0) this.byShard.delete(target.shard);
          resolve(reached);
        },
      };
      waiters.add(waiter);
    });
  }

  /** Whether anyone waits: the readers skip their per-batch bookkeeping when nobody does. */
  get anyWaiting(): boolean {
    return this.byShard.size > 0;
  }

  /** Called after a batch of `shard` was delivered, or its epoch changed. */
  advanced(shard: number): void {
    const waiters = this.byShard.get(shard);
    if (!waiters) return;
    const delivered = this.delivered(shard);
    for (const waiter of waiters) if (hasReached(delivered, waiter.target)) waiter.settle(true);
  }

  /** The reader stopped for good: every waiter gets false now rather than at its timeout. */
  close(): void {
    this.closed = true;
    for (const waiters of [...this.byShard.values()]) {
      for (const waiter of waiters) waiter.settle(false);
    }
  }
}

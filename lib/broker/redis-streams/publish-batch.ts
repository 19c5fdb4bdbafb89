import type { BrokerEntry } from '../broker.interface.js';
import type { BrokerUnavailableError } from '../../errors/broker-unavailable.error.js';

/** One publish waiting for its id. */
export interface Pending {
  readonly entry: BrokerEntry;
  readonly resolve: (reply: [epoch: string, id: string]) => void;
  readonly reject: (error: BrokerUnavailableError) => void;
}

/** Publishes of one shard sent as one script call, with one deadline. */
export interface Batch {
  readonly shard: number;
  readonly pending: Pending[];
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/**
 * Most entries in one script call: bounds how long Redis runs it (a few µs per XADD) and the
 * size of the command, whatever the payloads.
 */
const MAX_BATCH_ENTRIES = 128;
const MAX_BATCH_BYTES = 1 << 20;

/** Cuts a shard's queue, in order, into batches within the bounds above. */
export function cutBatches(shard: number, queue: Pending[]): Batch[] {
  const batches: Batch[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < queue.length; i++) {
    bytes += queue[i].entry.payload.length;
    const full = i + 1 - start === MAX_BATCH_ENTRIES || bytes >= MAX_BATCH_BYTES;
    if (full || i === queue.length - 1) {
      // Usually the whole queue is one batch: it is handed over as it is, not copied.
      const pending = start === 0 && i === queue.length - 1 ? queue : queue.slice(start, i + 1);
      batches.push({ shard, pending, timer: undefined, settled: false });
      start = i + 1;
      bytes = 0;
    }
  }
  return batches;
}

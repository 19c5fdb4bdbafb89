import { Cluster } from 'ioredis';
import type { BrokerMessage, RangePage, ReplayRange } from '../broker.interface.js';
import { compareIds, formatOffset } from '../../protocol/offset.js';
import type { RedisClient } from './connection.js';
import { type RawEntry, toMessage, topicOf } from './entry-codec.js';
import type { ShardKeys } from './keys.js';

/** An `untilId` that reads to the end of the log (XRANGE's own `+`), for `Broker.read`. */
export const LOG_END = '+';

/**
 * One page of each range in one round trip: a single MULTI on one node, or one MULTI per shard
 * (all in flight at once) on a cluster, where a transaction may only touch one slot. Each shard's
 * epoch and trim checks run in the same transaction as its XRANGE, so that a trim in between
 * cannot turn a gap into a silent partial replay (DESIGN.md §4). A range with nothing before
 * `untilId` gets the checks alone.
 * @throws Error when a transaction itself fails (connection lost).
 */
export async function readRangePages(
  client: RedisClient,
  keys: readonly ShardKeys[],
  ranges: readonly ReplayRange[],
  limit: number,
  wanted: (topic: string) => boolean,
): Promise<RangePage[]> {
  if (ranges.length === 0) return [];
  const groups = client instanceof Cluster ? ranges.map((range) => [range]) : [ranges];
  const pages = await Promise.all(groups.map(readGroup));
  return pages.flat();

  async function readGroup(group: readonly ReplayRange[]): Promise<RangePage[]> {
    const transaction = client.multi();
    const reads = group.map(
      ({ afterId, untilId }) => untilId === LOG_END || compareIds(afterId, untilId) < 0,
    );
    group.forEach(({ shard, afterId, untilId }, i) => {
      transaction.mget(keys[shard].epoch, keys[shard].trimmed);
      // One more than asked tells whether this page reached `untilId`.
      if (reads[i]) transaction.xrange(keys[shard].log, `(${afterId}`, untilId, 'COUNT', limit + 1);
    });
    const replies = await transaction.exec();
    if (!replies) throw new Error('the replay transaction was aborted');
    let next = 0;
    return group.map((range, i) => {
      const [checkError, check] = replies[next++];
      if (checkError) throw checkError;
      let entries: RawEntry[] = [];
      if (reads[i]) {
        const [rangeError, reply] = replies[next++];
        if (rangeError) throw rangeError;
        entries = reply as RawEntry[];
      }
      const [epoch, trimmed] = check as (string | null)[];
      return toPage(range, epoch, trimmed, entries, limit, wanted);
    });
  }
}

function toPage(
  { shard, epoch, afterId, untilId }: ReplayRange,
  storedEpoch: string | null,
  trimmed: string | null,
  entries: RawEntry[],
  limit: number,
  wanted: (topic: string) => boolean,
): RangePage {
  if (storedEpoch !== epoch) return { status: 'epoch-changed' };
  // The publish script records the newest id it trimmed: after `afterId`, something is gone.
  if (trimmed && compareIds(afterId, trimmed) < 0) return { status: 'window-exceeded' };
  const done = entries.length <= limit;
  const count = done ? entries.length : limit;
  const offsetBase = formatOffset(shard, epoch, '');
  const messages: BrokerMessage[] = [];
  // Entries of topics the client does not hold are most of a shard: skip them undecoded.
  for (let i = 0; i < count; i++) {
    if (wanted(topicOf(entries[i]))) messages.push(toMessage(shard, offsetBase, entries[i]));
  }
  const lastId = count > 0 ? entries[count - 1][0] : afterId;
  // A range ends at an entry a reader delivered. A log without it was rewound (a replica promoted
  // without its newest entries) and the reader has not noticed yet: answer as the new epoch it is
  // about to get, never with what is left, which would be a silent gap.
  if (done && untilId !== LOG_END && compareIds(afterId, untilId) < 0 && lastId !== untilId) {
    return { status: 'epoch-changed' };
  }
  return { status: 'ok', messages, lastId, done };
}

import type { ReplayPage } from '../broker.interface.js';
import { compareIds } from '../offset.js';
import type { RedisClient } from './connection.js';
import { type RawEntry, toMessage } from './entry-codec.js';
import type { ShardKeys } from './keys.js';

/** `max-deleted-entry-id` from an XINFO STREAM reply (a flat field/value list). */
function maxDeletedId(info: unknown): string {
  if (!Array.isArray(info)) return '0-0';
  const at = info.indexOf('max-deleted-entry-id');
  return at >= 0 ? String(info[at + 1]) : '0-0';
}

/**
 * One page of a replay. The epoch check, the trim check and the range run in one MULTI so
 * that a trim between them cannot turn a gap into a silent partial replay (DESIGN.md §4).
 * `max-deleted-entry-id` (Redis 7) is the newest id ever trimmed: if it is after `afterId`,
 * something the reader never saw is gone.
 * @throws Error when the transaction itself fails (connection lost).
 */
export async function readPage(
  client: RedisClient,
  keys: ShardKeys,
  shard: number,
  epoch: string,
  afterId: string,
  limit: number,
): Promise<ReplayPage> {
  // One more than asked tells whether this page reached the end.
  const replies = await client
    .multi()
    .get(keys.epoch)
    .xinfo('STREAM', keys.log)
    .xrange(keys.log, `(${afterId}`, '+', 'COUNT', limit + 1)
    .exec();
  if (!replies) throw new Error('the replay transaction was aborted');
  const [[epochError, storedEpoch], [infoError, info], [rangeError, range]] = replies;
  if (epochError) throw epochError;
  if (storedEpoch !== epoch) return { status: 'epoch-changed' };
  // XINFO fails with "no such key" when the shard never had an entry: nothing was trimmed.
  if (!infoError && compareIds(afterId, maxDeletedId(info)) < 0) {
    return { status: 'window-exceeded' };
  }
  if (rangeError) throw rangeError;
  const entries = range as RawEntry[];
  const done = entries.length <= limit;
  const page = done ? entries : entries.slice(0, limit);
  return { status: 'ok', messages: page.map((e) => toMessage(shard, epoch, e)), done };
}

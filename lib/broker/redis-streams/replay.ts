import type { ReplayPage } from '../broker.interface.js';
import { compareIds, formatOffset } from '../offset.js';
import type { RedisClient } from './connection.js';
import { type RawEntry, toMessage } from './entry-codec.js';
import type { ShardKeys } from './keys.js';

/**
 * One page of a replay. The epoch check, the trim check and the range run in one MULTI so
 * that a trim between them cannot turn a gap into a silent partial replay (DESIGN.md §4).
 * The publish script records the newest id it ever trimmed: if that is after `afterId`,
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
    .get(keys.trimmed)
    .xrange(keys.log, `(${afterId}`, '+', 'COUNT', limit + 1)
    .exec();
  if (!replies) throw new Error('the replay transaction was aborted');
  const [[epochError, storedEpoch], [trimmedError, trimmed], [rangeError, range]] = replies;
  const error = epochError ?? trimmedError ?? rangeError;
  if (error) throw error;
  if (storedEpoch !== epoch) return { status: 'epoch-changed' };
  if (trimmed && compareIds(afterId, trimmed as string) < 0) {
    return { status: 'window-exceeded' };
  }
  const entries = range as RawEntry[];
  const done = entries.length <= limit;
  const page = done ? entries : entries.slice(0, limit);
  const offsetBase = formatOffset(shard, epoch, '');
  return { status: 'ok', messages: page.map((e) => toMessage(shard, offsetBase, e)), done };
}

/**
 * Gives a shard whose log lost entries it had held (a replica promoted without the newest ones,
 * issue 19) a new epoch, once for every instance: only when the epoch is still the one the
 * caller read. It appends a reset mark, an entry with control {@link EPOCH_MARK} whose payload
 * is the new epoch, so that every reader switches epoch at the same entry of the log, and
 * records the mark's id as the newest id not replayable (`trimmed`): a reader that learns the
 * new epoch on a reconnect reads on after the mark.
 *
 * KEYS: 1 = the shard's stream, 2 = its epoch, 3 = its newest trimmed id.
 * ARGV: 1 = the epoch the caller holds, 2 = the epoch proposed.
 * Reply: `{ epoch, markId }`, the new ones, or the current epoch and `trimmed` (maybe false)
 * when another instance reset it first.
 */
export const RESET_EPOCH_SCRIPT = `
local current = redis.call('GET', KEYS[2])
if current ~= ARGV[1] then
  return { current, redis.call('GET', KEYS[3]) }
end
redis.call('SET', KEYS[2], ARGV[2])
local id = redis.call('XADD', KEYS[1], '*', 't', '', 'p', ARGV[2], 'c', 'dws:epoch')
redis.call('SET', KEYS[3], id)
return { ARGV[2], id }
`;

/** Control value of a reset mark (never handed to the listener). */
export const EPOCH_MARK = 'dws:epoch';

/** Name under which the script is defined on a reader's client. */
export const RESET_EPOCH_COMMAND = 'dwsResetEpoch';

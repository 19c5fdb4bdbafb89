/**
 * Moves a session to a new generation when it is greater than the stored one (0 when the key
 * is absent), and (re)sets the key's TTL; replies 1 when it did, 0 when the stored generation
 * was already as high. One key, read and written inside one script: two resumes presenting the
 * same token cannot both see the old generation, on a single node or a cluster (the key names
 * its own slot).
 *
 * The value is `<generation>:<claim>`. With ARGV[3] = 'release' the script undoes that claim
 * instead: the generation goes back one step when the value is still exactly this claim's
 * (Broker.releaseSession), never another claim's.
 *
 * KEYS: 1 = the session's generation key. ARGV: 1 = generation, 2 = TTL in ms, 3 = '' or
 * 'release', 4 = the claim's id.
 */
export const ADVANCE_SESSION_SCRIPT = `
local value = redis.call('GET', KEYS[1]) or '0'
local stored = tonumber(string.match(value, '^%d+'))
if ARGV[3] == 'release' then
  if value == ARGV[1] .. ':' .. ARGV[4] then
    redis.call('SET', KEYS[1], tostring(stored - 1), 'PX', ARGV[2])
    return 1
  end
  return 0
end
if tonumber(ARGV[1]) <= stored then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[4], 'PX', ARGV[2])
return 1
`;

/** Name under which the script is defined on the publishing client (EVALSHA, EVAL on NOSCRIPT). */
export const ADVANCE_SESSION_COMMAND = 'dwsAdvanceSession';

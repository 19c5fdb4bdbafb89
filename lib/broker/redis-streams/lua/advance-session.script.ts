/**
 * Moves a session to a new generation when it is greater than the stored one (0 when the key
 * is absent), or equal to it while the stored claim is not confirmed yet, and (re)sets the key's
 * TTL; replies 1 when it did, 0 when not. One key, read and written inside one script, on a
 * single node or a cluster (the key names its own slot).
 *
 * The value is `<generation>:<claim>:<0|1>`: the claim's id, and whether the client confirmed it
 * got the token of that generation. Until it does, a claim of the same generation is granted
 * again: it is the client retrying with the same token after the answer was lost (or a resume
 * racing it), never a token that generation already superseded. With ARGV[3] = 'confirm' the
 * script marks that claim confirmed; with 'release' it undoes that claim (the generation goes back
 * one step when the value is still exactly this claim's, Broker.releaseSession), never another's.
 *
 * KEYS: 1 = the session's generation key. ARGV: 1 = generation, 2 = TTL in ms, 3 = '', 'confirm'
 * or 'release', 4 = the claim's id.
 */
export const ADVANCE_SESSION_SCRIPT = `
local value = redis.call('GET', KEYS[1]) or '0'
local stored = tonumber(string.match(value, '^%d+'))
local mine = ARGV[1] .. ':' .. ARGV[4] .. ':0'
if ARGV[3] == 'release' then
  if value == mine then
    redis.call('SET', KEYS[1], tostring(stored - 1), 'PX', ARGV[2])
    return 1
  end
  return 0
end
if ARGV[3] == 'confirm' then
  if value == mine then
    redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[4] .. ':1', 'PX', ARGV[2])
    return 1
  end
  return 0
end
local generation = tonumber(ARGV[1])
local open = string.sub(value, -2) == ':0'
if generation < stored or (generation == stored and not open) then
  return 0
end
redis.call('SET', KEYS[1], mine, 'PX', ARGV[2])
return 1
`;

/** Name under which the script is defined on the publishing client (EVALSHA, EVAL on NOSCRIPT). */
export const ADVANCE_SESSION_COMMAND = 'dwsAdvanceSession';

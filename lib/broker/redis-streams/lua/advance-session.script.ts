/**
 * For each key: moves a session to a new generation when it is greater than the stored one (0
 * when the key is absent), or equal to it while the stored claim is not confirmed yet, and
 * (re)sets the key's TTL; replies 1 for that key when it did, 0 when not. Each key is read and
 * written inside the script, on a single node; on a cluster each call has one key (each key
 * names its own slot). Several keys in one call are the claims of one tick (session-scripts.ts).
 *
 * The value is `<generation>:<claim>:<0|1>`: the claim's id, and whether the client confirmed it
 * got the token of that generation. Until it does, a claim of the same generation is granted
 * again: it is the client retrying with the same token after the answer was lost (or a resume
 * racing it), never a token that generation already superseded. With mode 'confirm' the script
 * marks that claim confirmed; with 'release' it undoes that claim (the generation goes back one
 * step when the value is still exactly this claim's, Broker.releaseSession), never another's.
 *
 * KEYS: the sessions' generation keys. ARGV, four per key in order: generation, TTL in ms,
 * mode ('', 'confirm' or 'release'), the claim's id. Replies one 0 or 1 per key.
 */
export const ADVANCE_SESSION_SCRIPT = `
local replies = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local generation, ttl, mode, claim = ARGV[i * 4 - 3], ARGV[i * 4 - 2], ARGV[i * 4 - 1], ARGV[i * 4]
  local value = redis.call('GET', key) or '0'
  local stored = tonumber(string.match(value, '^%d+'))
  local mine = generation .. ':' .. claim .. ':0'
  local done = 0
  if mode == 'release' then
    if value == mine then
      redis.call('SET', key, tostring(stored - 1), 'PX', ttl)
      done = 1
    end
  elseif mode == 'confirm' then
    if value == mine then
      redis.call('SET', key, generation .. ':' .. claim .. ':1', 'PX', ttl)
      done = 1
    end
  else
    local open = string.sub(value, -2) == ':0'
    local wanted = tonumber(generation)
    if wanted > stored or (wanted == stored and open) then
      redis.call('SET', key, mine, 'PX', ttl)
      done = 1
    end
  end
  replies[i] = done
end
return replies
`;

/**
 * Name under which the script is defined on the publishing client (EVALSHA, EVAL on NOSCRIPT).
 * Not the name of the one-key script of earlier versions: a client shared with one of those
 * keeps both.
 */
export const ADVANCE_SESSION_COMMAND = 'dwsAdvanceSessions';

/**
 * Publishes in one round trip (DESIGN.md §3): reads or creates the shard's epoch, appends
 * with time-based trimming and returns `{ epoch, id }`.
 *
 * KEYS: 1 = the shard's stream, 2 = its epoch.
 * ARGV: 1 = candidate epoch, 2 = retention in ms, 3 = topic, 4 = payload, 5 = control (optional).
 *
 * The trimming bound uses the server's clock (TIME), the same clock that stamps `*` ids, so
 * a publisher whose clock drifts cannot trim too much. Scripts are replicated by effects
 * (Redis 7 default), which is what allows TIME before a write.
 */
export const PUBLISH_SCRIPT = `
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch)
end
local now = redis.call('TIME')
local minId = string.format('%.0f', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[2]))
local id
if ARGV[5] then
  id = redis.call('XADD', KEYS[1], 'MINID', '~', minId, '*', 't', ARGV[3], 'p', ARGV[4], 'c', ARGV[5])
else
  id = redis.call('XADD', KEYS[1], 'MINID', '~', minId, '*', 't', ARGV[3], 'p', ARGV[4])
end
return { epoch, id }
`;

/** Name under which the script is defined on the publishing client (EVALSHA, EVAL on NOSCRIPT). */
export const PUBLISH_COMMAND = 'dwsPublish';

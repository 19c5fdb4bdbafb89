import type { PresenceMember } from '../protocol/frames.js';

/**
 * Redis keys of presence, all under `<prefix>:presence:`. Every command touches one key, so
 * they work on Redis Cluster without hash tags:
 * - `topic:<topic>`: a hash, field = connection id, value = an encoded entry (below); Redis
 *   deletes it with its last field.
 * - `instances`: a set of the instances that may own entries, for the sweep.
 * - `instance:<id>`: an instance's liveness, a string with a TTL it renews.
 * - `instance:<id>:topics`: a set of the topics where the instance owns entries, so that a
 *   sweep finds a dead instance's entries without scanning the keyspace.
 */
export class PresenceKeys {
  readonly instances: string;
  private readonly base: string;

  constructor(prefix: string) {
    this.base = `${prefix}:presence:`;
    this.instances = `${this.base}instances`;
  }

  topic(topic: string): string {
    return `${this.base}topic:${topic}`;
  }

  alive(instance: string): string {
    return `${this.base}instance:${instance}`;
  }

  topicsOf(instance: string): string {
    return `${this.base}instance:${instance}:topics`;
  }
}

/** An entry as stored: its owners, then the member. */
export interface StoredEntry {
  readonly instance: string;
  readonly socket: string;
  readonly member: PresenceMember;
}

/**
 * `<instance> <socket> <member JSON>`: the owners come first, space-separated (ids never hold
 * spaces), so that the scripts match them with a pattern instead of decoding JSON.
 */
export function encodeEntry(entry: StoredEntry): string {
  return `${entry.instance} ${entry.socket} ${JSON.stringify(entry.member)}`;
}

/** The entry of a stored value, or null for a value this version cannot read. */
export function decodeEntry(value: string): StoredEntry | null {
  const first = value.indexOf(' ');
  const second = value.indexOf(' ', first + 1);
  if (first <= 0 || second <= first + 1) return null;
  try {
    const member = JSON.parse(value.slice(second + 1)) as PresenceMember;
    if (typeof member?.connectionId !== 'string') return null;
    return { instance: value.slice(0, first), socket: value.slice(first + 1, second), member };
  } catch {
    return null;
  }
}

/**
 * Removes a field if the given socket owns it. KEYS: 1 = a topic's hash. ARGV: 1 = connection
 * id, 2 = socket. Returns the removed value or false.
 */
export const LEAVE_SCRIPT = `
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return false end
local _, socket = string.match(value, '^(%S+) (%S+) ')
if socket ~= ARGV[2] then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
return value
`;

/**
 * Removes every field an instance owns. KEYS: 1 = a topic's hash. ARGV: 1 = instance id.
 * Returns the removed values. One call per topic: atomic, so that two instances sweeping the
 * same dead one remove (and announce) each entry once.
 */
export const SWEEP_SCRIPT = `
local removed = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local instance = string.match(all[i + 1], '^(%S+) ')
  if instance == ARGV[1] then
    redis.call('HDEL', KEYS[1], all[i])
    removed[#removed + 1] = all[i + 1]
  end
end
return removed
`;

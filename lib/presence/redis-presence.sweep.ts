import type { RedisClient } from '../broker/redis-streams/connection.js';
import type { PresenceChange } from './presence-store.interface.js';
import { removeOwnedBy } from './redis-presence.commands.js';
import { decodeEntry, type PresenceKeys } from './redis-presence.keys.js';

/** Removes the entries of every instance but `self` whose liveness key lapsed. */
export async function sweepDeadInstances(
  client: RedisClient,
  keys: PresenceKeys,
  self: string,
): Promise<PresenceChange[]> {
  const ids = await client.smembers(keys.instances);
  const others = ids.filter((id) => id !== self);
  const alive = await Promise.all(others.map((id) => client.exists(keys.alive(id))));
  const changes: PresenceChange[] = [];
  for (const [i, id] of others.entries()) {
    if (alive[i]) continue;
    const topics = await client.smembers(keys.topicsOf(id));
    changes.push(...(await removeInstance(client, keys, id, topics)));
  }
  return changes;
}

/** Deletes an instance's entries in `topics`, then its bookkeeping keys. */
export async function removeInstance(
  client: RedisClient,
  keys: PresenceKeys,
  instance: string,
  topics: string[],
): Promise<PresenceChange[]> {
  const removed = await Promise.all(
    topics.map((topic) => removeOwnedBy(client, keys.topic(topic), instance)),
  );
  const changes: PresenceChange[] = [];
  topics.forEach((topic, i) => {
    for (const value of removed[i]) {
      const entry = decodeEntry(value);
      if (entry) changes.push({ topic, action: 'leave', member: entry.member });
    }
  });
  await client.del(keys.topicsOf(instance));
  await client.srem(keys.instances, instance);
  return changes;
}

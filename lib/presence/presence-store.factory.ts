import type { Broker } from '../broker/broker.interface.js';
import { isRedisBacked } from '../broker/redis-streams/connection.js';
import { InMemoryPresenceStore } from './in-memory-presence.store.js';
import type { PresenceStore, PresenceStoreOptions } from './presence-store.interface.js';
import { RedisPresenceStore } from './redis-presence.store.js';

/**
 * The presence storage for a broker: in Redis, on the broker's own connection, when the broker
 * is Redis-backed (every instance then sees every other's members); in memory otherwise (one
 * instance: the embedded broker).
 */
export function createPresenceStore(broker: Broker, options: PresenceStoreOptions): PresenceStore {
  return isRedisBacked(broker)
    ? new RedisPresenceStore(broker, options)
    : new InMemoryPresenceStore();
}

import { keySlot } from '../../lib/broker/redis-streams/key-slot.js';
import { shardKeys } from '../../lib/broker/redis-streams/keys.js';
import { shardOfTopic } from '../../lib/protocol/offset.js';
import type { ClusterShardOwner } from './redis-cluster.js';

/** The brokers of the tests: the default prefix and shard count. */
const KEYS = shardKeys('dws', 16);

/** The stream the messages of `topic` are appended to, as the broker names it. */
export function logOf(topic: string): string {
  return KEYS[shardOfTopic(topic, KEYS.length)].log;
}

/** Whether the cluster master `owner` holds the stream of `topic`. */
export function ownsTopic(owner: ClusterShardOwner, topic: string): boolean {
  const slot = keySlot(logOf(topic));
  return owner.slots.some(([first, last]) => slot >= first && slot <= last);
}

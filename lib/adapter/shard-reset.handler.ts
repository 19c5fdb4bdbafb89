import type { ShardReset } from '../broker/broker.interface.js';
import { CloseCode } from '../protocol/close-codes.js';
import { implicitTopics } from '../topics/implicit-topics.js';
import { hasWildcard } from '../topics/topic-matcher.js';
import type { ConnectionRegistry } from './connection-registry.js';

/**
 * What a live connection sees when a shard's history changed under it (issue 19): a shard
 * rewound by a promotion lost messages this instance delivered or had acked, so a connection
 * that receives that shard's topics may have missed some without any sign. It is closed with
 * 4006: the SDK resumes, the resume reads the shard's new epoch and answers `recovered: false`
 * (`epoch`), and the application reloads its state. A connection with a wildcard filter may
 * receive any shard: closed too. Connections whose topics are all on other shards stay open.
 * A log lost whole (`'lost'`: Redis restarted empty) keeps today's behaviour: connections stay
 * open, and their next resume answers `recovered: false`.
 * @returns how many connections were closed.
 */
export function closeOnShardReset(
  reset: ShardReset,
  registry: ConnectionRegistry,
  shardOf: (topic: string) => number,
): number {
  if (reset.cause !== 'rewound') return 0;
  let closed = 0;
  for (const connection of [...registry.values()]) {
    const topics = [...implicitTopics(connection.id, connection.userId), ...connection.filters];
    if (!topics.some((topic) => hasWildcard(topic) || shardOf(topic) === reset.shard)) continue;
    connection.close(CloseCode.HistoryChanged, 'messages lost by the backplane: resume');
    closed++;
  }
  return closed;
}

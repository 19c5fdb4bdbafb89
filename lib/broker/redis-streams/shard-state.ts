import type { Redis } from 'ioredis';
import { compareIds } from '../../protocol/offset.js';
import type { RedisClient } from './connection.js';
import type { EpochCandidates, ShardKeys } from './keys.js';
import type { RedisStreamsLogger } from './redis-streams.options.js';

/** Positions shared by all readers of one broker: what `positions()` reports. */
export interface ReadState {
  readonly epochs: string[];
  readonly ids: string[];
}

/**
 * Each shard's epoch, created where missing. `SET NX GET` makes the first instance's
 * proposal win, so every instance (and every publish script) agrees on one epoch.
 */
export async function loadEpochs(
  client: RedisClient,
  keys: ShardKeys[],
  candidates: EpochCandidates,
): Promise<string[]> {
  return Promise.all(
    keys.map(async ({ epoch }) => {
      const proposed = candidates.next();
      return (await client.set(epoch, proposed, 'NX', 'GET')) ?? proposed;
    }),
  );
}

/** Each shard's last entry id: where a starting reader begins; `0-0` before the first entry. */
export async function loadLastIds(client: RedisClient, keys: ShardKeys[]): Promise<string[]> {
  const lasts = await Promise.all(
    keys.map(({ log }) => client.xrevrange(log, '+', '-', 'COUNT', 1)),
  );
  return lasts.map((last) => last[0]?.[0] ?? '0-0');
}

/**
 * Run by a reader before it reads on after a reconnect. A shard with a new epoch (Redis lost
 * its data) is read again from its start. A shard trimmed past the reader's position (a
 * reader away longer than the retention window) cannot be repaired: it is logged, and
 * clients learn it from `read` (window-exceeded) when they resume.
 * @throws Error when Redis does not answer (the reader retries).
 */
export async function recheckShards(
  client: Redis,
  shards: number[],
  keys: ShardKeys[],
  state: ReadState,
  candidates: EpochCandidates,
  logger: RedisStreamsLogger,
): Promise<void> {
  const proposed = shards.map(() => candidates.next());
  const pipeline = client.pipeline();
  shards.forEach((shard, i) => {
    pipeline.set(keys[shard].epoch, proposed[i], 'NX', 'GET').get(keys[shard].trimmed);
  });
  const replies = (await pipeline.exec()) ?? [];
  shards.forEach((shard, i) => {
    const [[epochError, previous], [trimmedError, trimmed]] = [replies[2 * i], replies[2 * i + 1]];
    if (epochError || trimmedError) throw epochError ?? trimmedError;
    const epoch = (previous as string | null) ?? proposed[i];
    if (epoch !== state.epochs[shard]) {
      logger.warn(
        `RedisStreamsBroker: shard ${shard} has a new epoch (${state.epochs[shard]} -> ${epoch}): ` +
          'Redis lost its data; reading the new log from its start.',
      );
      state.epochs[shard] = epoch;
      state.ids[shard] = '0-0';
    } else if (trimmed && compareIds(state.ids[shard], trimmed as string) < 0) {
      logger.warn(
        `RedisStreamsBroker: shard ${shard} was trimmed past this reader's position ` +
          `(${state.ids[shard]} < ${trimmed}) while it was disconnected: those entries are lost here.`,
      );
    }
  });
}

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

/** A shard whose epoch a recheck changed, or found rewound (its epoch is reset by the caller). */
export interface ShardCheck {
  readonly shard: number;
  readonly previous: string;
  /** `'lost'`: already switched to the stored epoch. `'rewound'`: still to reset. */
  readonly cause: 'lost' | 'rewound';
}

/**
 * Run by a reader before it reads on after a reconnect. A shard with a new epoch (Redis lost
 * its data, or another instance reset it) is read again from its start, or after its reset
 * mark. A shard whose log no longer holds the newest entry this instance knows of (delivered,
 * or acked to a publisher: `known`) lost entries it had: a replica was promoted before it had
 * them (issue 19); it is reported `'rewound'` for the caller to reset. A shard trimmed past the
 * reader's position (a reader away longer than the retention window) cannot be repaired: it is
 * logged, and clients learn it from `read` (window-exceeded) when they resume.
 * @throws Error when Redis does not answer (the reader retries).
 */
export async function recheckShards(
  client: Redis,
  shards: number[],
  keys: ShardKeys[],
  state: ReadState,
  candidates: EpochCandidates,
  logger: RedisStreamsLogger,
  known: (shard: number) => string,
): Promise<ShardCheck[]> {
  const proposed = shards.map(() => candidates.next());
  const newest = shards.map((shard) => known(shard));
  const pipeline = client.pipeline();
  shards.forEach((shard, i) => {
    pipeline.set(keys[shard].epoch, proposed[i], 'NX', 'GET').get(keys[shard].trimmed);
    pipeline.xrange(keys[shard].log, newest[i], newest[i]);
  });
  const replies = (await pipeline.exec()) ?? [];
  const checks: ShardCheck[] = [];
  shards.forEach((shard, i) => {
    const [[epochError, previous], [trimmedError, trimmed], [rangeError, range]] = replies.slice(
      3 * i,
      3 * i + 3,
    );
    if (epochError || trimmedError || rangeError) throw epochError ?? trimmedError ?? rangeError;
    const epoch = (previous as string | null) ?? proposed[i];
    const had = state.epochs[shard];
    if (epoch !== had) {
      logger.warn(
        `RedisStreamsBroker: shard ${shard} has a new epoch (${had} -> ${epoch}): ` +
          'its log was lost or reset; reading the new log from its start.',
      );
      state.epochs[shard] = epoch;
      state.ids[shard] = (trimmed as string | null) ?? '0-0';
      // A log that starts after a recorded id was reset (a reset mark), not restarted empty.
      checks.push({ shard, previous: had, cause: trimmed ? 'rewound' : 'lost' });
    } else if (trimmed && compareIds(state.ids[shard], trimmed as string) < 0) {
      logger.warn(
        `RedisStreamsBroker: shard ${shard} was trimmed past this reader's position ` +
          `(${state.ids[shard]} < ${trimmed}) while it was disconnected: those entries are lost here.`,
      );
    } else if (
      newest[i] !== '0-0' &&
      (range as unknown[]).length === 0 &&
      !(trimmed && compareIds(newest[i], trimmed as string) <= 0)
    ) {
      logger.warn(
        `RedisStreamsBroker: shard ${shard} no longer holds entry ${newest[i]}, which this ` +
          'instance had read or been acked: a replica was promoted without the newest entries. ' +
          'Giving the shard a new epoch.',
      );
      checks.push({ shard, previous: had, cause: 'rewound' });
    }
  });
  return checks;
}

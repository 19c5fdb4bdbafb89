import { randomBytes } from 'node:crypto';

/**
 * Key names of one shard. The `{s<n>}` hash tag puts a shard's stream and epoch in one
 * cluster slot (the publish script touches both), while different shards land on
 * different slots and so spread over the nodes (DESIGN.md §3).
 */
export interface ShardKeys {
  readonly log: string;
  readonly epoch: string;
  /** The newest id ever trimmed from the log (lua/publish.script.ts). */
  readonly trimmed: string;
}

/** The keys of every shard under `prefix`. */
export function shardKeys(prefix: string, shards: number): ShardKeys[] {
  return Array.from({ length: shards }, (_, shard) => ({
    log: `${prefix}:{s${shard}}:log`,
    epoch: `${prefix}:{s${shard}}:epoch`,
    trimmed: `${prefix}:{s${shard}}:trimmed`,
  }));
}

/**
 * The key holding a session's generation (Broker.advanceSession). Alone in its script, so it
 * needs no hash tag: each session's key lands on its own slot and sessions spread over a cluster.
 */
export function sessionKey(prefix: string, sessionId: string): string {
  return `${prefix}:session:${sessionId}`;
}

/**
 * Candidate epochs: whoever creates a shard's epoch first proposes it. Each proposal is new
 * (random per process, then a counter), so an epoch created after Redis lost its data can
 * never equal one a client already holds. Alphanumeric: an offset separates with ':'.
 */
export class EpochCandidates {
  private readonly seed = randomBytes(6).toString('hex');
  private counter = 0;

  next(): string {
    return `${this.seed}${(++this.counter).toString(36)}`;
  }
}

import type { PresenceMember } from '../protocol/frames.js';

/** A member that joined or left a topic, for the `presence` frames sent to its subscribers. */
export interface PresenceChange {
  readonly topic: string;
  readonly action: 'join' | 'leave';
  readonly member: PresenceMember;
}

/** Settings a broker receives when it creates the presence storage. */
export interface PresenceStoreOptions {
  /** How long an instance that stopped renewing its liveness still counts as alive, in ms. */
  readonly ttlMs: number;
}

/** DI token of the {@link PresenceStore} in use. */
export const DWS_PRESENCE_STORE = Symbol('dws:presence-store');

/**
 * Who is present on which topic, cluster-wide. One instance writes only its own connections'
 * entries; an entry belongs to one socket (`socket`: a connection's incarnation), so that the
 * socket a session left cannot remove the entry of the socket that resumed it.
 *
 * Two implementations: in memory (one instance: the embedded broker) and Redis (the Redis
 * Streams broker's connection). The module provides the store under
 * {@link DWS_PRESENCE_STORE}, chosen by `createPresenceStore`.
 */
export interface PresenceStore {
  /**
   * Adds `member` to `topic`, or replaces its entry (new `info`, or a resumed session's socket).
   * @returns true when the connection was not present on the topic before: a join.
   * @throws when the storage is unreachable; the store repairs the entry once it is back.
   */
  join(topic: string, member: PresenceMember, socket: string): Promise<boolean>;

  /**
   * Removes the connection from `topic` if `socket` still owns its entry.
   * @returns the removed member (a leave), or null when there was nothing of `socket` to remove.
   * @throws when the storage is unreachable; the store retries the removal later.
   */
  leave(topic: string, connectionId: string, socket: string): Promise<PresenceMember | null>;

  /**
   * The members of `topic` on every live instance, ordered by `connectionId`: all of them, or
   * at most `limit` (which ones is unspecified) read without reading the rest. This instance's
   * own members are its own record of them, so that what it acked is in the answer even while
   * the storage is being repaired.
   */
  members(topic: string, limit?: number): Promise<PresenceMember[]>;

  /**
   * How many entries `topic` holds, read in O(1): the size of a truncated answer. It may count,
   * for up to `ttlMs`, the members of an instance that died.
   */
  count(topic: string): Promise<number>;

  /**
   * Called periodically (every third of `ttlMs`): renews this instance's liveness, repairs what
   * failed while the storage was unreachable and removes the entries of dead instances.
   * @returns the joins and leaves this caused, for `presence` frames.
   */
  maintain(): Promise<PresenceChange[]>;

  /**
   * Registers what to call when the store needs `maintain` now rather than at the next renewal
   * (its liveness lapsed: the storage lost its data, or took this instance for dead).
   */
  onRepairNeeded?(listener: () => void): void;

  /**
   * Removes every entry this instance still holds (graceful shutdown).
   * @returns the leaves this caused.
   */
  close(): Promise<PresenceChange[]>;
}

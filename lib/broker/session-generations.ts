import type { Broker } from './broker.interface.js';

interface SessionEntry {
  generation: number;
  claim: string;
  confirmed: boolean;
  expiresAt: number;
}

/**
 * Session generations kept in one process: `Broker.advanceSession` for the in-memory broker,
 * and the per-instance stand-in for a custom broker that lacks it. Entries expire, so memory
 * is bounded by the sessions resumed within one TTL.
 */
export class LocalSessionGenerations {
  /** In write order, hence in expiry order when every call passes the same TTL. */
  private readonly entries = new Map<string, SessionEntry>();

  /** {@link Broker.advanceSession}, in memory. */
  advance(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim = '',
    now = Date.now(),
  ): boolean {
    this.sweep(now);
    const stored = this.entries.get(sessionId);
    const live = stored && stored.expiresAt > now ? stored : null;
    const current = live?.generation ?? 0;
    if (generation < current || (generation === current && (live?.confirmed ?? true))) {
      return false;
    }
    this.store(sessionId, { generation, claim, confirmed: false, expiresAt: now + ttlMs });
    return true;
  }

  /** {@link Broker.confirmSession}, in memory. */
  confirm(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim: string,
    now = Date.now(),
  ): boolean {
    if (!this.isPending(sessionId, generation, claim, now)) return false;
    this.store(sessionId, { generation, claim, confirmed: true, expiresAt: now + ttlMs });
    return true;
  }

  /** {@link Broker.releaseSession}, in memory. */
  release(
    sessionId: string,
    generation: number,
    ttlMs: number,
    claim: string,
    now = Date.now(),
  ): boolean {
    if (!this.isPending(sessionId, generation, claim, now)) return false;
    const previous = { generation: generation - 1, claim: '', confirmed: true };
    this.store(sessionId, { ...previous, expiresAt: now + ttlMs });
    return true;
  }

  /** Whether the session is still at `claim`, unconfirmed and unexpired. */
  private isPending(sessionId: string, generation: number, claim: string, now: number): boolean {
    const stored = this.entries.get(sessionId);
    if (!stored || stored.expiresAt <= now || stored.confirmed) return false;
    return stored.generation === generation && stored.claim === claim;
  }

  /** Re-inserted, not updated: the map stays in expiry order. */
  private store(sessionId: string, entry: SessionEntry): void {
    this.entries.delete(sessionId);
    this.entries.set(sessionId, entry);
  }

  /** Sessions remembered (expired ones are dropped on the next `advance`). */
  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries from the oldest on: O(1) amortized per call. */
  private sweep(now: number): void {
    for (const [sessionId, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(sessionId);
    }
  }
}

/** Where resumes record session generations, and whether every instance sees the same. */
export interface SessionGenerationStore {
  /** {@link Broker.advanceSession}. */
  advance(sessionId: string, generation: number, ttlMs: number, claim: string): Promise<boolean>;
  /** {@link Broker.releaseSession}. */
  release(sessionId: string, generation: number, ttlMs: number, claim: string): Promise<boolean>;
  /** {@link Broker.confirmSession}. */
  confirm(sessionId: string, generation: number, ttlMs: number, claim: string): Promise<boolean>;
  /** False for a custom broker without `advanceSession`: only this instance's resumes count. */
  readonly shared: boolean;
}

/**
 * `broker.advanceSession`, or, for a custom broker without it, a store in this process: a
 * superseded token is then refused by this instance only, and expiry is what bounds it
 * elsewhere (the module warns at boot).
 */
export function sessionGenerationStore(broker: Broker): SessionGenerationStore {
  if (typeof broker.advanceSession === 'function') {
    return {
      shared: true,
      advance: (sessionId, generation, ttlMs, claim) =>
        broker.advanceSession!(sessionId, generation, ttlMs, claim),
      release: async (sessionId, generation, ttlMs, claim) =>
        (await broker.releaseSession?.(sessionId, generation, ttlMs, claim)) ?? false,
      confirm: async (sessionId, generation, ttlMs, claim) =>
        (await broker.confirmSession?.(sessionId, generation, ttlMs, claim)) ?? false,
    };
  }
  const local = new LocalSessionGenerations();
  return {
    shared: false,
    advance: async (sessionId, generation, ttlMs, claim) =>
      local.advance(sessionId, generation, ttlMs, claim),
    release: async (sessionId, generation, ttlMs, claim) =>
      local.release(sessionId, generation, ttlMs, claim),
    confirm: async (sessionId, generation, ttlMs, claim) =>
      local.confirm(sessionId, generation, ttlMs, claim),
  };
}

import { matchesFilter } from '../topics/topic-matcher.js';
import { isReservedTopic } from '../topics/topic-validation.js';
import type { MessageHandler, MessageMeta } from './client.types.js';

/** One pattern's local state: its handlers share a single server subscription. */
export class PatternEntry {
  readonly handlers = new Set<MessageHandler>();
  readonly ready: Promise<void>;
  /** Settles `ready`; later calls are no-ops, as with any promise. */
  confirm!: () => void;
  fail!: (error: Error) => void;

  constructor(
    readonly pattern: string,
    /** Presence info sent with the pattern's `subscribe` and resumes (undefined: none). */
    readonly info?: unknown,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.confirm = resolve;
      this.fail = reject;
    });
    // Nobody has to await `ready`: a refusal is also emitted as an `error` event, so an
    // unobserved rejection here must not crash Node or spam the browser console.
    this.ready.catch(() => undefined);
  }
}

/**
 * Where messages go: the client's subscriptions by pattern (what a resume restores) and the
 * handlers of direct messages (reserved `$…` topics, which no pattern may match).
 * Matching scans the patterns: a client holds a handful, so an index would cost more than it saves.
 */
export class LocalSubscriptions {
  private readonly entries = new Map<string, PatternEntry>();
  private readonly direct = new Set<MessageHandler>();

  /** Adds a handler; `created` says the pattern is new and needs a server subscription. */
  add(
    pattern: string,
    handler: MessageHandler,
    info?: unknown,
  ): { entry: PatternEntry; created: boolean } {
    const existing = this.entries.get(pattern);
    const entry = existing ?? new PatternEntry(pattern, info);
    if (!existing) this.entries.set(pattern, entry);
    entry.handlers.add(handler);
    return { entry, created: !existing };
  }

  /**
   * Removes a handler of `entry`.
   * @returns true when it was the pattern's last handler: the server subscription can go.
   */
  remove(entry: PatternEntry, handler: MessageHandler): boolean {
    if (!entry.handlers.delete(handler) || entry.handlers.size > 0) return false;
    if (this.entries.get(entry.pattern) !== entry) return false;
    this.entries.delete(entry.pattern);
    return true;
  }

  /** The current entry of a pattern, if any. */
  get(pattern: string): PatternEntry | undefined {
    return this.entries.get(pattern);
  }

  /** Forgets a pattern the server refused. */
  drop(entry: PatternEntry): void {
    if (this.entries.get(entry.pattern) === entry) this.entries.delete(entry.pattern);
  }

  patterns(): string[] {
    return [...this.entries.keys()];
  }

  /** Presence info by pattern, for the patterns that have some. */
  info(): Record<string, unknown> {
    const info: Record<string, unknown> = {};
    for (const entry of this.entries.values()) {
      if (entry.info !== undefined) info[entry.pattern] = entry.info;
    }
    return info;
  }

  /**
   * Adds a handler of direct messages.
   * @returns a function that removes it.
   */
  addDirect(handler: MessageHandler): () => void {
    this.direct.add(handler);
    return () => {
      this.direct.delete(handler);
    };
  }

  /**
   * Calls the direct handlers (reserved topic) or every handler whose pattern matches
   * `meta.topic`; a throwing handler does not stop the others.
   */
  dispatch(payload: unknown, meta: MessageMeta, onError: (error: unknown) => void): void {
    if (isReservedTopic(meta.topic)) return callEach(this.direct, payload, meta, onError);
    for (const entry of [...this.entries.values()]) {
      if (matchesFilter(entry.pattern, meta.topic)) {
        callEach(entry.handlers, payload, meta, onError);
      }
    }
  }
}

function callEach(
  handlers: Set<MessageHandler>,
  payload: unknown,
  meta: MessageMeta,
  onError: (error: unknown) => void,
): void {
  for (const handler of [...handlers]) {
    try {
      handler(payload, meta);
    } catch (error) {
      onError(error);
    }
  }
}

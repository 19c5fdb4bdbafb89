import { hasWildcard } from './topic-matcher.js';
import { validateTopicFilter } from './topic-validation.js';

const DOLLAR = 0x24;

/** A level of the wildcard trie. Every field is created on first use and dropped when empty. */
interface TrieNode<S> {
  literal: Map<string, TrieNode<S>> | undefined;
  plus: TrieNode<S> | undefined;
  /** Holders of `<path>/#`: they match here and at every level below. */
  hash: Set<S> | undefined;
  /** Holders of filters ending exactly at this node. */
  here: Set<S> | undefined;
}

const newNode = <S>(): TrieNode<S> => ({
  literal: undefined,
  plus: undefined,
  hash: undefined,
  here: undefined,
});

const isEmpty = <S>(node: TrieNode<S>): boolean =>
  !node.literal && !node.plus && !node.hash && !node.here;

/**
 * Who receives a topic, indexed so that a lookup costs O(levels × wildcard branching),
 * not O(subscribers). Exact filters are one map lookup; wildcard filters live in a level
 * trie walked alongside the topic. Matching follows MQTT, like `matchesFilter`.
 *
 * @typeParam S - the subscriber (a connection, a broker consumer…), compared by identity.
 * @example
 * const index = new SubscriptionIndex<string>();
 * index.add('chat/+/messages', 'conn-1');
 * index.add('chat/#', 'conn-2');
 * index.matching('chat/7/messages'); // Set { 'conn-1', 'conn-2' }
 */
export class SubscriptionIndex<S> {
  private readonly exact = new Map<string, Set<S>>();
  private readonly root: TrieNode<S> = newNode();
  private wildcardFilters = 0;
  private pairs = 0;

  /** Number of (filter, subscriber) pairs held. */
  get size(): number {
    return this.pairs;
  }

  /** Number of distinct filters with at least one subscriber. */
  get filterCount(): number {
    return this.exact.size + this.wildcardFilters;
  }

  /**
   * Subscribes `subscriber` to `filter`.
   *
   * @returns `true` when the pair is new, `false` when it was already there.
   * @throws {TypeError} when the filter is not a valid MQTT filter (validate first with
   * `validateTopicFilter` to answer clients; this guards against over-delivery).
   */
  add(filter: string, subscriber: S): boolean {
    const problem = validateTopicFilter(filter, Number.POSITIVE_INFINITY);
    if (problem) throw new TypeError(problem);
    if (!hasWildcard(filter)) {
      let set = this.exact.get(filter);
      if (!set) this.exact.set(filter, (set = new Set()));
      return this.addTo(set, subscriber);
    }
    let node = this.root;
    let pos = 0;
    for (;;) {
      let end = filter.indexOf('/', pos);
      if (end === -1) end = filter.length;
      const level = filter.slice(pos, end);
      if (level === '#') return this.addTo((node.hash ??= new Set()), subscriber, true);
      if (level === '+') {
        node = node.plus ??= newNode();
      } else {
        const children = (node.literal ??= new Map());
        let child = children.get(level);
        if (!child) children.set(level, (child = newNode()));
        node = child;
      }
      if (end === filter.length) return this.addTo((node.here ??= new Set()), subscriber, true);
      pos = end + 1;
    }
  }

  /**
   * Unsubscribes `subscriber` from `filter`, pruning what became empty so memory follows
   * the live subscriptions, not their history.
   *
   * @returns `true` when the pair was there.
   */
  remove(filter: string, subscriber: S): boolean {
    if (hasWildcard(filter)) return this.removeBelow(this.root, filter, 0, subscriber);
    const set = this.exact.get(filter);
    if (!set?.delete(subscriber)) return false;
    this.pairs--;
    if (set.size === 0) this.exact.delete(filter);
    return true;
  }

  /**
   * Calls `visit` once per (matching filter, subscriber) pair: a subscriber holding two
   * filters that match is visited twice, so callers that need each once dedupe. Changing
   * the index from inside `visit` is allowed; whether this walk sees the change is not
   * specified.
   */
  forEachMatching(topic: string, visit: (subscriber: S) => void): void {
    const exact = this.exact.get(topic);
    if (exact) for (const subscriber of exact) visit(subscriber);
    if (this.wildcardFilters > 0) this.walk(this.root, topic, 0, visit);
  }

  /** The distinct subscribers of `topic`. Allocates a set: prefer `forEachMatching` on hot paths. */
  matching(topic: string): Set<S> {
    const result = new Set<S>();
    this.forEachMatching(topic, (subscriber) => result.add(subscriber));
    return result;
  }

  /** `pos` is the start of the topic level to match; past the end means the topic is used up. */
  private walk(node: TrieNode<S>, topic: string, pos: number, visit: (s: S) => void): void {
    // MQTT 4.7.2: wildcards in the first level never match "$" topics.
    const reserved = pos === 0 && topic.charCodeAt(0) === DOLLAR;
    if (node.hash && !reserved) for (const subscriber of node.hash) visit(subscriber);
    if (pos > topic.length) {
      if (node.here) for (const subscriber of node.here) visit(subscriber);
      return;
    }
    let end = topic.indexOf('/', pos);
    if (end === -1) end = topic.length;
    if (node.plus && !reserved) this.walk(node.plus, topic, end + 1, visit);
    // The map key costs one substring per literal level visited; no other allocation.
    const child = node.literal?.get(topic.slice(pos, end));
    if (child) this.walk(child, topic, end + 1, visit);
  }

  private removeBelow(node: TrieNode<S>, filter: string, pos: number, subscriber: S): boolean {
    let end = filter.indexOf('/', pos);
    if (end === -1) end = filter.length;
    const level = filter.slice(pos, end);
    if (level === '#') {
      // An invalid "a/#/b" must not remove "a/#".
      if (end !== filter.length || !node.hash?.delete(subscriber)) return false;
      const emptied = node.hash.size === 0;
      if (emptied) node.hash = undefined;
      return this.removed(emptied);
    }
    const child = level === '+' ? node.plus : node.literal?.get(level);
    if (!child) return false;
    if (end === filter.length) {
      if (!child.here?.delete(subscriber)) return false;
      const emptied = child.here.size === 0;
      if (emptied) child.here = undefined;
      this.removed(emptied);
    } else if (!this.removeBelow(child, filter, end + 1, subscriber)) {
      return false;
    }
    if (isEmpty(child)) {
      if (level === '+') node.plus = undefined;
      else if (node.literal?.delete(level) && node.literal.size === 0) node.literal = undefined;
    }
    return true;
  }

  private addTo(set: Set<S>, subscriber: S, wildcard = false): boolean {
    if (set.has(subscriber)) return false;
    if (wildcard && set.size === 0) this.wildcardFilters++;
    set.add(subscriber);
    this.pairs++;
    return true;
  }

  /** Bookkeeping after a wildcard pair left; `emptied` when its filter has no holder left. */
  private removed(emptied: boolean): true {
    this.pairs--;
    if (emptied) this.wildcardFilters--;
    return true;
  }
}

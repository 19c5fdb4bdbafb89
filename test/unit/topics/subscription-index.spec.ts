import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SubscriptionIndex } from '../../../lib/topics/subscription-index.js';

/** Obviously-correct MQTT matching: split both, compare level by level. */
function referenceMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if ((f[0] === '+' || f[0] === '#') && t[0].startsWith('$')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

function visits<S>(index: SubscriptionIndex<S>, topic: string): S[] {
  const seen: S[] = [];
  index.forEachMatching(topic, (s) => seen.push(s));
  return seen;
}

/** The trie is private; memory after churn is what a user would notice, so peek at it. */
function trieIsEmpty(index: SubscriptionIndex<unknown>): boolean {
  const root = (index as unknown as { root: Record<string, unknown> }).root;
  return Object.values(root).every((field) => field === undefined);
}

describe('SubscriptionIndex', () => {
  it('finds exact and wildcard subscribers', () => {
    const index = new SubscriptionIndex<string>();
    index.add('chat/rooms/42', 'exact');
    index.add('chat/+/42', 'plus');
    index.add('chat/#', 'hash');
    index.add('#', 'all');
    index.add('chat/rooms', 'other');
    expect(index.matching('chat/rooms/42')).toEqual(new Set(['exact', 'plus', 'hash', 'all']));
    expect(index.matching('chat')).toEqual(new Set(['hash', 'all']));
    expect(index.matching('chat/rooms')).toEqual(new Set(['other', 'hash', 'all']));
    expect(index.matching('news')).toEqual(new Set(['all']));
  });

  it('keeps "$" topics away from filters starting with a wildcard', () => {
    const index = new SubscriptionIndex<string>();
    index.add('#', 'all');
    index.add('+/conn/abc', 'plus');
    index.add('$dws/#', 'server');
    index.add('$dws/conn/abc', 'exact');
    expect(index.matching('$dws/conn/abc')).toEqual(new Set(['server', 'exact']));
    expect(index.matching('chat/$x')).toEqual(new Set(['all']));
  });

  it('visits a subscriber once per matching filter', () => {
    const index = new SubscriptionIndex<string>();
    index.add('a/b', 'ann');
    index.add('a/+', 'ann');
    index.add('a/#', 'ann');
    index.add('a/#', 'bob');
    expect(visits(index, 'a/b').sort()).toEqual(['ann', 'ann', 'ann', 'bob']);
    expect(index.matching('a/b')).toEqual(new Set(['ann', 'bob']));
  });

  it('counts pairs and distinct filters, and reports duplicates and misses', () => {
    const index = new SubscriptionIndex<number>();
    expect(index.add('a/+', 1)).toBe(true);
    expect(index.add('a/+', 1)).toBe(false);
    expect(index.add('a/+', 2)).toBe(true);
    expect(index.add('a/b', 1)).toBe(true);
    expect(index.add('#', 1)).toBe(true);
    expect([index.size, index.filterCount]).toEqual([4, 3]);
    expect(index.remove('a/+', 3)).toBe(false);
    expect(index.remove('a/c', 1)).toBe(false);
    expect(index.remove('x/#', 1)).toBe(false);
    expect(index.remove('a/+', 1)).toBe(true);
    expect(index.remove('a/+', 1)).toBe(false);
    expect([index.size, index.filterCount]).toEqual([3, 3]);
    expect(index.remove('a/+', 2)).toBe(true);
    expect([index.size, index.filterCount]).toEqual([2, 2]);
  });

  it('rejects an invalid filter instead of over-delivering', () => {
    const index = new SubscriptionIndex<number>();
    expect(() => index.add('a/#/b', 1)).toThrow(
      new TypeError('Pattern "a/#/b" is invalid: "#" must be the last level.'),
    );
    index.add('a/#', 1);
    expect(index.remove('a/#/b', 1)).toBe(false);
    expect(index.matching('a/x')).toEqual(new Set([1]));
  });

  it('prunes the trie when the last subscriber leaves', () => {
    const index = new SubscriptionIndex<number>();
    const filters = ['a/+/b/#', 'a/+/b', 'a/+', '+/+/+', '#', 'x/y/z/#', 'x/y'];
    for (let round = 0; round < 3; round++) {
      for (const f of filters) for (let s = 0; s < 5; s++) index.add(f, s);
      for (const f of filters) for (let s = 0; s < 5; s++) expect(index.remove(f, s)).toBe(true);
      expect([index.size, index.filterCount]).toEqual([0, 0]);
      expect(trieIsEmpty(index)).toBe(true);
    }
  });

  it('agrees with a brute-force scan, including after removals', () => {
    const level = fc.constantFrom('a', 'aa', 'b', '$x');
    const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('/'));
    const filter = fc
      .tuple(fc.array(fc.oneof(level, fc.constant('+')), { maxLength: 4 }), fc.boolean())
      .filter(([ls, hash]) => ls.length > 0 || hash)
      .map(([ls, hash]) => (hash ? [...ls, '#'] : ls).join('/'));
    const pair = fc.tuple(filter, fc.integer({ min: 0, max: 7 }));

    fc.assert(
      fc.property(
        fc.array(fc.tuple(pair, fc.boolean()), { maxLength: 80 }),
        fc.array(topic, { minLength: 1, maxLength: 20 }),
        (ops, topics) => {
          const index = new SubscriptionIndex<number>();
          const live = new Map<string, [string, number]>();
          for (const [[f, s]] of ops) {
            expect(index.add(f, s)).toBe(!live.has(`${f} ${s}`));
            live.set(`${f} ${s}`, [f, s]);
          }
          // The boolean marks pairs to remove afterwards; removing twice must report false.
          for (const [[f, s], drop] of ops) {
            if (!drop) continue;
            expect(index.remove(f, s)).toBe(live.delete(`${f} ${s}`));
          }
          const pairs = [...live.values()];
          expect(index.size).toBe(pairs.length);
          expect(index.filterCount).toBe(new Set(pairs.map(([f]) => f)).size);
          for (const t of topics) {
            const hits = pairs.filter(([f]) => referenceMatches(f, t)).map(([, s]) => s);
            expect(visits(index, t).sort()).toEqual(hits.sort());
            expect(index.matching(t)).toEqual(new Set(hits));
          }
          for (const [f, s] of pairs) index.remove(f, s);
          expect(trieIsEmpty(index)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

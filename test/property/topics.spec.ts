import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SubscriptionIndex } from '../../lib/topics/subscription-index.js';
import { matchesFilter } from '../../lib/topics/topic-matcher.js';
import { validateTopicFilter, validateTopicName } from '../../lib/topics/topic-validation.js';
import { runs } from './runs.js';

// test/unit/topics/ already checks matchesFilter and a build-then-remove SubscriptionIndex against
// a level-by-level reference; here: validation against a reference, and the index under arbitrary
// interleavings of add, remove and lookup (matchesFilter, proven there, is the oracle).

/** docs/protocol.md "Topics", written as directly as possible. */
function referenceValid(value: unknown, kind: 'topic' | 'pattern', maxLength: number): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) return false;
  // \p{Cs} under /u matches only lone surrogates (a pair is one code point); \p{Cc} is exactly
  // U+0000–U+001F and U+007F–U+009F.
  if (/\p{Cs}/u.test(value) || /\p{Cc}/u.test(value)) return false;
  const levels = value.split('/');
  if (levels.length > 32 || levels.includes('')) return false;
  if (kind === 'topic') return !/[+#]/.test(value);
  return levels.every(
    (l, i) => !/[+#]/.test(l) || l === '+' || (l === '#' && i === levels.length - 1),
  );
}

const tricky = fc.constantFrom(
  ...['a', 'b', '/', '/', '+', '#', '$', ' ', '{', '}', 'é', '\u{1F600}'],
  ...['\u0000', '\u001f', '\u007f', '\u0085', '\u00a0', '\ud800', '\udc00'],
);
const candidate = fc.oneof(
  fc.array(tricky, { maxLength: 14 }).map((cs) => cs.join('')),
  // Around the 32-level limit.
  fc
    .array(fc.constantFrom('a', '+', 'bb'), { minLength: 28, maxLength: 36 })
    .map((ls) => ls.join('/')),
  fc.string({ unit: 'binary', maxLength: 400 }),
);

const level = fc.constantFrom('a', 'aa', 'b', '$x');
const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('/'));
const filter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { maxLength: 3 }), fc.boolean())
  .filter(([ls, hash]) => ls.length > 0 || hash)
  .map(([ls, hash]) => (hash ? [...ls, '#'] : ls).join('/'));

interface Model {
  pairs: Map<string, [string, number]>;
}
type Real = SubscriptionIndex<number>;

const key = (f: string, s: number) => `${f}\u0000${s}`;

class Add implements fc.Command<Model, Real> {
  constructor(
    readonly filter: string,
    readonly subscriber: number,
  ) {}
  check = () => true;
  run(model: Model, index: Real): void {
    const k = key(this.filter, this.subscriber);
    expect(index.add(this.filter, this.subscriber)).toBe(!model.pairs.has(k));
    model.pairs.set(k, [this.filter, this.subscriber]);
    expectCounts(model, index);
  }
  toString = () => `add(${this.filter}, ${this.subscriber})`;
}

class Remove implements fc.Command<Model, Real> {
  constructor(
    readonly filter: string,
    readonly subscriber: number,
  ) {}
  check = () => true;
  run(model: Model, index: Real): void {
    const k = key(this.filter, this.subscriber);
    expect(index.remove(this.filter, this.subscriber)).toBe(model.pairs.delete(k));
    expectCounts(model, index);
  }
  toString = () => `remove(${this.filter}, ${this.subscriber})`;
}

/** Removes the n-th live pair: random removals alone would rarely hit a live one. */
class RemoveLive implements fc.Command<Model, Real> {
  constructor(readonly n: number) {}
  check = (model: Readonly<Model>) => model.pairs.size > 0;
  run(model: Model, index: Real): void {
    const [k, [f, s]] = [...model.pairs.entries()][this.n % model.pairs.size];
    expect(index.remove(f, s)).toBe(true);
    model.pairs.delete(k);
    expectCounts(model, index);
  }
  toString = () => `removeLive(${this.n})`;
}

class Lookup implements fc.Command<Model, Real> {
  constructor(readonly topic: string) {}
  check = () => true;
  run(model: Model, index: Real): void {
    const expected = [...model.pairs.values()]
      .filter(([f]) => matchesFilter(f, this.topic))
      .map(([, s]) => s);
    const visited: number[] = [];
    index.forEachMatching(this.topic, (s) => visited.push(s));
    expect(visited.sort()).toEqual(expected.sort());
    expect(index.matching(this.topic)).toEqual(new Set(expected));
  }
  toString = () => `lookup(${this.topic})`;
}

function expectCounts(model: Model, index: Real): void {
  const pairs = [...model.pairs.values()];
  expect(index.size).toBe(pairs.length);
  expect(index.filterCount).toBe(new Set(pairs.map(([f]) => f)).size);
}

/** Memory follows the live subscriptions: after the last removal the trie holds nothing. */
function trieIsEmpty(index: Real): boolean {
  const root = (index as unknown as { root: Record<string, unknown> }).root;
  return Object.values(root).every((field) => field === undefined);
}

describe('topics (properties)', () => {
  it('validates topics and patterns exactly as docs/protocol.md states the rules', () => {
    fc.assert(
      fc.property(
        candidate,
        fc.oneof(fc.constant(256), fc.integer({ min: 1, max: 20 })),
        (value, max) => {
          const asTopic = validateTopicName(value, max);
          const asPattern = validateTopicFilter(value, max);
          expect(asTopic === null).toBe(referenceValid(value, 'topic', max));
          expect(asPattern === null).toBe(referenceValid(value, 'pattern', max));
          // The index refuses what the validator refuses, rather than over-deliver.
          const index = new SubscriptionIndex<number>();
          if (asPattern === null || max === 256) {
            const valid = validateTopicFilter(value, Number.POSITIVE_INFINITY) === null;
            if (valid) index.add(value, 1);
            else expect(() => index.add(value, 1)).toThrow(TypeError);
            expect(index.size).toBe(valid ? 1 : 0);
          }
          // Clients choose these strings: the message quotes a bounded part of them.
          for (const message of [asTopic, asPattern]) {
            if (message !== null) expect(message.length).toBeLessThanOrEqual(500);
          }
        },
      ),
      runs(2000),
    );
  });

  it('generates valid and invalid topics and patterns alike', () => {
    const values = fc.sample(candidate, { numRuns: 2000, seed: 3 });
    const count = (kind: 'topic' | 'pattern', valid: boolean) =>
      values.filter((v) => referenceValid(v, kind, 256) === valid).length;
    for (const kind of ['topic', 'pattern'] as const) {
      expect(count(kind, true)).toBeGreaterThan(200);
      expect(count(kind, false)).toBeGreaterThan(200);
    }
  });

  it('refuses anything that is not a string, naming its type', () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== 'string'),
        (value) => {
          expect(validateTopicName(value)).toMatch(/^Topic must be a string, got [a-z]+\.$/);
          expect(validateTopicFilter(value)).toMatch(/^Pattern must be a string, got [a-z]+\.$/);
        },
      ),
      runs(300),
    );
  });

  it('SubscriptionIndex answers like a plain list of pairs under any add/remove/lookup sequence', () => {
    const subscriber = fc.integer({ min: 0, max: 4 });
    const commands = fc.commands(
      [
        fc.tuple(filter, subscriber).map(([f, s]) => new Add(f, s)),
        fc.tuple(filter, subscriber).map(([f, s]) => new Remove(f, s)),
        fc.nat().map((n) => new RemoveLive(n)),
        topic.map((t) => new Lookup(t)),
      ],
      { maxCommands: 80 },
    );
    fc.assert(
      fc.property(commands, (cmds) => {
        const model: Model = { pairs: new Map() };
        const index = new SubscriptionIndex<number>();
        fc.modelRun(() => ({ model, real: index }), cmds);
        for (const [f, s] of model.pairs.values()) expect(index.remove(f, s)).toBe(true);
        expect([index.size, index.filterCount]).toEqual([0, 0]);
        expect(trieIsEmpty(index)).toBe(true);
      }),
      runs(500),
    );
  });
});

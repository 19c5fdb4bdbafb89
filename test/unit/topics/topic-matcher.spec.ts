import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { matchesFilter } from '../../../lib/topics/topic-matcher.js';

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

// "aa" catches prefix bugs ("a" vs "aa"); "$x" exercises the reserved-topic rule.
const level = fc.constantFrom('a', 'aa', 'b', '$x');
const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('/'));
const filter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { maxLength: 5 }), fc.boolean())
  .filter(([ls, hash]) => ls.length > 0 || hash)
  .map(([ls, hash]) => (hash ? [...ls, '#'] : ls).join('/'));

describe('matchesFilter', () => {
  it.each<[string, string, boolean]>([
    ['chat/rooms/42', 'chat/rooms/42', true],
    ['chat/rooms/42', 'chat/rooms/4', false],
    ['chat/rooms/4', 'chat/rooms/42', false],
    ['chat/rooms', 'chat/rooms/42', false],
    ['chat/rooms/42', 'chat/rooms', false],
    ['chat/+/42', 'chat/rooms/42', true],
    ['chat/+', 'chat/rooms/42', false],
    ['chat/+', 'chat', false],
    ['+', 'chat', true],
    ['+/+', 'chat', false],
    ['#', 'chat/rooms/42', true],
    ['chat/#', 'chat', true],
    ['chat/#', 'chat/rooms/42', true],
    ['chat/#', 'chatter/x', false],
    ['+/#', 'chat', true],
    ['chat/rooms/#', 'chat', false],
    ['#', '$dws/conn/abc', false],
    ['+/conn/abc', '$dws/conn/abc', false],
    ['+/#', '$dws', false],
    ['$dws/#', '$dws/conn/abc', true],
    ['$dws/+/abc', '$dws/conn/abc', true],
    ['chat/+', 'chat/$x', true],
    ['chat/#', 'chat/$x/y', true],
  ])('matchesFilter(%j, %j) is %j', (f, t, expected) => {
    expect(matchesFilter(f, t)).toBe(expected);
  });

  it('agrees with a level-by-level reference on generated filters and topics', () => {
    fc.assert(
      fc.property(filter, topic, (f, t) => {
        expect(matchesFilter(f, t)).toBe(referenceMatches(f, t));
      }),
      { numRuns: 5000 },
    );
  });

  it('generates a useful share of matches', () => {
    const samples = fc.sample(fc.tuple(filter, topic), { numRuns: 2000, seed: 42 });
    const matches = samples.filter(([f, t]) => referenceMatches(f, t)).length;
    expect(matches).toBeGreaterThan(200);
  });
});

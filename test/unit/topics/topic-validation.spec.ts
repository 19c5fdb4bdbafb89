import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_MAX_TOPIC_LENGTH,
  MAX_TOPIC_LEVELS,
  isReservedTopic,
  validateTopicFilter,
  validateTopicName,
} from '../../../lib/topics/topic-validation.js';

describe('validateTopicName', () => {
  it.each(['chat/rooms/42', 'a', '$dws/conn/abc', 'chat/{x}', 'émoji/😀', 'a b/c-d.e_f'])(
    'accepts %j',
    (topic) => {
      expect(validateTopicName(topic)).toBeNull();
    },
  );

  it.each<[unknown, string]>([
    [42, 'Topic must be a string, got number.'],
    [null, 'Topic must be a string, got null.'],
    [undefined, 'Topic must be a string, got undefined.'],
    [['a'], 'Topic must be a string, got array.'],
    ['', 'Topic is invalid: it is empty.'],
    ['chat//x', 'Topic "chat//x" is invalid: level 2 is empty. Levels are separated by "/".'],
    ['/chat', 'Topic "/chat" is invalid: level 1 is empty. Levels are separated by "/".'],
    ['chat/', 'Topic "chat/" is invalid: level 2 is empty. Levels are separated by "/".'],
    [
      'chat/+',
      'Topic "chat/+" is invalid: wildcards ("+", "#") are only allowed in subscriptions.',
    ],
    ['a/#', 'Topic "a/#" is invalid: wildcards ("+", "#") are only allowed in subscriptions.'],
    [
      'a\u0000b',
      'Topic "a\\u0000b" is invalid: it contains the control character U+0000 at position 2.',
    ],
    ['a/\nb', 'Topic "a/\\nb" is invalid: it contains the control character U+000A at position 3.'],
    [
      'a\u007f',
      'Topic "a\u007f" is invalid: it contains the control character U+007F at position 2.',
    ],
    [
      'a\u0085',
      'Topic "a\u0085" is invalid: it contains the control character U+0085 at position 2.',
    ],
    ['a\ud800b', 'Topic "a\\ud800b" is invalid: it contains an unpaired surrogate at position 2.'],
    ['a\udc00', 'Topic "a\\udc00" is invalid: it contains an unpaired surrogate at position 2.'],
  ])('rejects %j', (topic, message) => {
    expect(validateTopicName(topic)).toBe(message);
  });

  it('reports the length without echoing the topic', () => {
    expect(validateTopicName('x'.repeat(300))).toBe(
      'Topic is invalid: it is 300 characters long, the limit is 256.',
    );
    expect(validateTopicName('x'.repeat(DEFAULT_MAX_TOPIC_LENGTH))).toBeNull();
  });

  it('honours a custom length limit', () => {
    expect(validateTopicName('abcdef', 5)).toBe(
      'Topic is invalid: it is 6 characters long, the limit is 5.',
    );
    expect(validateTopicName('x'.repeat(1000), 1000)).toBeNull();
  });

  it('limits the number of levels', () => {
    expect(validateTopicName(Array(MAX_TOPIC_LEVELS).fill('a').join('/'))).toBeNull();
    expect(
      validateTopicName(
        Array(MAX_TOPIC_LEVELS + 1)
          .fill('a')
          .join('/'),
      ),
    ).toBe(`Topic "${'a/'.repeat(31)}a…" is invalid: ` + 'it has 33 levels, the limit is 32.');
  });

  it('quotes at most 64 characters of a long topic', () => {
    const topic = `${'x'.repeat(100)}/+`;
    expect(validateTopicName(topic)).toBe(
      `Topic "${'x'.repeat(63)}…" is invalid: wildcards ("+", "#") are only allowed in subscriptions.`,
    );
  });

  it('does not cut a surrogate pair in half when quoting', () => {
    const topic = `${'x'.repeat(62)}😀${'y'.repeat(10)}//`;
    expect(validateTopicName(topic)).toBe(
      `Topic "${'x'.repeat(62)}…" is invalid: level 2 is empty. Levels are separated by "/".`,
    );
  });
});

describe('validateTopicFilter', () => {
  it.each(['chat/rooms/42', '#', '+', 'a/#', '+/+/#', 'chat/+/messages', '$dws/#', '+/$x'])(
    'accepts %j',
    (filter) => {
      expect(validateTopicFilter(filter)).toBeNull();
    },
  );

  it.each<[unknown, string]>([
    [7, 'Pattern must be a string, got number.'],
    ['', 'Pattern is invalid: it is empty.'],
    ['a/#/b', 'Pattern "a/#/b" is invalid: "#" must be the last level.'],
    ['#/a', 'Pattern "#/a" is invalid: "#" must be the last level.'],
    ['a/b+', 'Pattern "a/b+" is invalid: "+" must occupy a whole level.'],
    ['a/+b/c', 'Pattern "a/+b/c" is invalid: "+" must occupy a whole level.'],
    ['a/b#', 'Pattern "a/b#" is invalid: "#" must occupy a whole level.'],
    ['a/##', 'Pattern "a/##" is invalid: "#" must occupy a whole level.'],
    ['a//#', 'Pattern "a//#" is invalid: level 2 is empty. Levels are separated by "/".'],
    ['a/+/', 'Pattern "a/+/" is invalid: level 3 is empty. Levels are separated by "/".'],
    [
      'a/\u0001',
      'Pattern "a/\\u0001" is invalid: it contains the control character U+0001 at position 3.',
    ],
  ])('rejects %j', (filter, message) => {
    expect(validateTopicFilter(filter)).toBe(message);
  });

  it('applies the length and level limits', () => {
    expect(validateTopicFilter(`${'a/'.repeat(150)}#`)).toBe(
      'Pattern is invalid: it is 301 characters long, the limit is 256.',
    );
    expect(validateTopicFilter(`${'+/'.repeat(32)}#`)).toBe(
      `Pattern "${'+/'.repeat(31)}+…" is invalid: it has 33 levels, the limit is 32.`,
    );
  });
});

describe('isReservedTopic', () => {
  it('is true only when the first level starts with "$"', () => {
    expect(isReservedTopic('$dws/conn/abc')).toBe(true);
    expect(isReservedTopic('$')).toBe(true);
    expect(isReservedTopic('chat/$x')).toBe(false);
    expect(isReservedTopic('a$')).toBe(false);
  });
});

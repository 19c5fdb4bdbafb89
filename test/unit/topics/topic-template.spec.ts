import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { matchesFilter } from '../../../lib/topics/topic-matcher.js';
import { TopicTemplate } from '../../../lib/topics/topic-template.js';
import { TopicTemplateError } from '../../../lib/errors/topic-template.error.js';

function parseError(source: string): TopicTemplateError {
  try {
    TopicTemplate.parse(source);
  } catch (error) {
    return error as TopicTemplateError;
  }
  throw new Error(`expected ${JSON.stringify(source)} to be rejected`);
}

function formatError(template: TopicTemplate, params: Record<string, unknown>): string {
  try {
    template.format(params as Record<string, string>);
  } catch (error) {
    expect(error).toBeInstanceOf(TopicTemplateError);
    return (error as Error).message;
  }
  throw new Error('expected format to throw');
}

describe('TopicTemplate.parse', () => {
  it('parses levels, parameters and the equivalent filter', () => {
    const template = TopicTemplate.parse('chat/{roomId}/users/{_user2}');
    expect(template.source).toBe('chat/{roomId}/users/{_user2}');
    expect(template.levels).toEqual([
      { kind: 'literal', value: 'chat' },
      { kind: 'param', name: 'roomId' },
      { kind: 'literal', value: 'users' },
      { kind: 'param', name: '_user2' },
    ]);
    expect(template.params).toEqual(['roomId', '_user2']);
    expect(template.filter).toBe('chat/+/users/+');
    expect(TopicTemplate.parse('news').filter).toBe('news');
    expect(TopicTemplate.parse('$dws/conn/{id}').filter).toBe('$dws/conn/+');
  });

  it.each<[string, string]>([
    [
      'chat//x',
      'Topic template "chat//x" is invalid: level 2 is empty. Levels are separated by "/".',
    ],
    ['', 'Topic template is invalid: it is empty.'],
    [
      'chat/{room id}',
      'Topic template "chat/{room id}" is invalid: parameter "{room id}" has an invalid name. ' +
        'Names start with a letter or "_" and contain only letters, digits and "_".',
    ],
    [
      'chat/{}',
      'Topic template "chat/{}" is invalid: parameter "{}" has an invalid name. ' +
        'Names start with a letter or "_" and contain only letters, digits and "_".',
    ],
    [
      'chat/{1d}',
      'Topic template "chat/{1d}" is invalid: parameter "{1d}" has an invalid name. ' +
        'Names start with a letter or "_" and contain only letters, digits and "_".',
    ],
    [
      'chat/{id}/x/{id}',
      'Topic template "chat/{id}/x/{id}" is invalid: parameter "{id}" appears more than once. ' +
        'Give each parameter its own name.',
    ],
    [
      'chat/+',
      'Topic template "chat/+" is invalid: wildcards ("+", "#") are not allowed in templates. ' +
        'Use a parameter such as "{id}".',
    ],
    [
      'chat/#',
      'Topic template "chat/#" is invalid: wildcards ("+", "#") are not allowed in templates. ' +
        'Use a parameter such as "{id}".',
    ],
    [
      'chat/room-{id}',
      'Topic template "chat/room-{id}" is invalid: parameter "{id}" must occupy a whole level, ' +
        'but level 2 is "room-{id}".',
    ],
    [
      'chat/{a}{b}',
      'Topic template "chat/{a}{b}" is invalid: parameter "{a}{b}" has an invalid name. ' +
        'Names start with a letter or "_" and contain only letters, digits and "_".',
    ],
    [
      'chat/{id',
      'Topic template "chat/{id" is invalid: level 2 ("{id") has an unmatched brace. ' +
        'Parameters look like "{id}".',
    ],
    [
      'a\tb',
      'Topic template "a\\tb" is invalid: it contains the control character U+0009 at position 2.',
    ],
  ])('rejects %j', (source, message) => {
    const error = parseError(source);
    expect(error).toBeInstanceOf(TopicTemplateError);
    expect(error.name).toBe('TopicTemplateError');
    expect(error.message).toBe(message);
  });
});

describe('TopicTemplate.match', () => {
  const rooms = TopicTemplate.parse('chat/{room}/users/{user}');

  it('returns the parameters of a fitting topic', () => {
    expect(rooms.match('chat/42/users/ann')).toEqual({ room: '42', user: 'ann' });
    expect(rooms.match('chat/$x/users/ann')).toEqual({ room: '$x', user: 'ann' });
    expect(TopicTemplate.parse('news').match('news')).toEqual({});
  });

  it.each([
    'chat/42/users',
    'chat/42/users/ann/x',
    'chat/42/user/ann',
    'chats/42/users/ann',
    'chat//users/ann',
    'chat/42/users/',
  ])('returns null for %j', (topic) => {
    expect(rooms.match(topic)).toBeNull();
  });

  it('follows the "$" rule for a parameter in the first level, like its filter', () => {
    const tenant = TopicTemplate.parse('{tenant}/events');
    expect(tenant.match('acme/events')).toEqual({ tenant: 'acme' });
    expect(tenant.match('$dws/events')).toBeNull();
    expect(TopicTemplate.parse('$dws/conn/{id}').match('$dws/conn/abc')).toEqual({ id: 'abc' });
  });

  it('keeps a parameter named like an Object.prototype key', () => {
    const odd = TopicTemplate.parse('x/{__proto__}/{constructor}');
    const params = odd.match('x/1/2');
    expect(params?.['__proto__']).toBe('1');
    expect(params?.['constructor']).toBe('2');
    expect(odd.format(JSON.parse('{"__proto__":"1","constructor":"2"}'))).toBe('x/1/2');
  });
});

describe('TopicTemplate.format', () => {
  const rooms = TopicTemplate.parse('chat/rooms/{roomId}');

  it('builds the concrete topic and ignores extra keys', () => {
    expect(rooms.format({ roomId: '42' })).toBe('chat/rooms/42');
    expect(rooms.format({ roomId: '$x', other: 'y' })).toBe('chat/rooms/$x');
  });

  it.each<[Record<string, unknown>, string]>([
    [{}, 'parameter "roomId" is missing.'],
    [{ roomId: 42 }, 'parameter "roomId" must be a string, got number.'],
    [{ roomId: '' }, 'parameter "roomId" is empty.'],
    [{ roomId: 'a/b' }, 'parameter "roomId" ("a/b") contains "/"; a value is one level.'],
    [{ roomId: 'a+' }, 'parameter "roomId" ("a+") contains a wildcard ("+", "#").'],
    [{ roomId: '#' }, 'parameter "roomId" ("#") contains a wildcard ("+", "#").'],
    [
      { roomId: 'a\u0000' },
      'Topic "chat/rooms/a\\u0000" is invalid: it contains the control character U+0000 at position 13.',
    ],
  ])('rejects %j', (params, why) => {
    expect(formatError(rooms, params)).toBe(
      `Cannot format topic template "chat/rooms/{roomId}": ${why}`,
    );
  });

  it('rejects "$" at the start of a first-level value', () => {
    expect(formatError(TopicTemplate.parse('{tenant}/events'), { tenant: '$dws' })).toBe(
      'Cannot format topic template "{tenant}/events": parameter "tenant" ("$dws") starts with "$", ' +
        'which is reserved in the first level.',
    );
  });
});

describe('TopicTemplate.overlaps', () => {
  const rooms = TopicTemplate.parse('chat/rooms/{id}');

  it.each([
    'chat/#',
    'chat/+/7',
    '#',
    'chat/rooms/+',
    'chat/rooms/7',
    'chat/rooms/#',
    '+/+/+',
    'chat/rooms/+/#',
  ])('overlaps %j', (filter) => {
    expect(rooms.overlaps(filter)).toBe(true);
  });

  it.each(['chat/rooms', 'chat/rooms/7/x', 'chat/other/+', '+/+', 'chat/rooms/+/+', 'news/#'])(
    'does not overlap %j',
    (filter) => {
      expect(rooms.overlaps(filter)).toBe(false);
    },
  );

  it('applies the "$" rule', () => {
    const reserved = TopicTemplate.parse('$dws/conn/{id}');
    expect(reserved.overlaps('#')).toBe(false);
    expect(reserved.overlaps('+/conn/+')).toBe(false);
    expect(reserved.overlaps('$dws/#')).toBe(true);
    const tenant = TopicTemplate.parse('{tenant}/events');
    expect(tenant.overlaps('#')).toBe(true);
    expect(tenant.overlaps('$dws/events')).toBe(false);
    expect(tenant.overlaps('acme/events')).toBe(true);
  });
});

describe('TopicTemplate properties', () => {
  const values = ['a', 'aa', 'b', '$x'];
  const level = fc.constantFrom(...values);
  const template = fc
    .array(fc.oneof(level, fc.constant('{}')), { minLength: 1, maxLength: 4 })
    .map((ls) => TopicTemplate.parse(ls.map((l, i) => (l === '{}' ? `{p${i}}` : l)).join('/')));
  const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('/'));
  const filter = fc
    .tuple(fc.array(fc.oneof(level, fc.constant('+')), { maxLength: 5 }), fc.boolean())
    .filter(([ls, hash]) => ls.length > 0 || hash)
    .map(([ls, hash]) => (hash ? [...ls, '#'] : ls).join('/'));

  /** Every topic the template can produce when parameters take values from the alphabet. */
  function concreteTopics(t: TopicTemplate): string[] {
    let prefixes = [''];
    for (const l of t.levels) {
      const options = l.kind === 'literal' ? [l.value] : values;
      prefixes = prefixes.flatMap((p) => options.map((o) => (p ? `${p}/${o}` : o)));
    }
    return prefixes.filter((candidate) => t.match(candidate) !== null);
  }

  it('match agrees with the template filter, and format inverts match', () => {
    fc.assert(
      fc.property(template, topic, (t, concrete) => {
        const params = t.match(concrete);
        expect(params !== null).toBe(matchesFilter(t.filter, concrete));
        if (params) expect(t.format(params)).toBe(concrete);
      }),
      { numRuns: 3000 },
    );
  });

  it('overlaps agrees with a brute-force search over concrete topics', () => {
    // With parameter values drawn from the filter alphabet, this search is exhaustive.
    fc.assert(
      fc.property(template, filter, (t, f) => {
        const expected = concreteTopics(t).some((concrete) => matchesFilter(f, concrete));
        expect(t.overlaps(f)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });
});

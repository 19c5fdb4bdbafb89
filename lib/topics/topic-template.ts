import {
  DEFAULT_MAX_TOPIC_LENGTH,
  describeTopicProblem,
  quoteTopic,
  validateTopicName,
} from './topic-validation.js';
import { TopicTemplateError } from '../errors/topic-template.error.js';

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BRACED = /\{[^{}]*\}/;

/** One level of a template: fixed text, or a named parameter that fills the whole level. */
export type TemplateLevel = { kind: 'literal'; value: string } | { kind: 'param'; name: string };

/**
 * A topic with named parameters, as declared by gateways: `chat/rooms/{roomId}`.
 * A parameter fills exactly one level; its value is a non-empty level without `/`, `+`, `#`.
 * A parameter in the first level never takes a value starting with `$`, so that
 * {@link TopicTemplate.match} agrees with MQTT matching of {@link TopicTemplate.filter}.
 *
 * @example
 * const rooms = TopicTemplate.parse('chat/rooms/{roomId}');
 * rooms.filter; // 'chat/rooms/+'
 * rooms.match('chat/rooms/42'); // { roomId: '42' }
 * rooms.format({ roomId: '7' }); // 'chat/rooms/7'
 */
export class TopicTemplate {
  /** MQTT filter matching exactly the topics of this template (each parameter becomes `+`). */
  readonly filter: string;
  /** Parameter names, in level order. */
  readonly params: readonly string[];

  private constructor(
    /** The template as declared. */
    readonly source: string,
    /** Parsed levels, in order. */
    readonly levels: readonly TemplateLevel[],
  ) {
    this.params = Object.freeze(levels.flatMap((l) => (l.kind === 'param' ? [l.name] : [])));
    this.filter = levels.map((l) => (l.kind === 'param' ? '+' : l.value)).join('/');
  }

  /**
   * Parses a template such as `chat/rooms/{roomId}`.
   *
   * @throws {TopicTemplateError} for an empty level, a wildcard, a control character, a
   * parameter with an invalid or repeated name, or a parameter that shares its level with
   * other text (`chat/room-{id}`).
   */
  static parse(source: string): TopicTemplate {
    const problem = describeTopicProblem(source, 'template', DEFAULT_MAX_TOPIC_LENGTH);
    if (problem) throw new TopicTemplateError(problem);
    const fail = (why: string): never => {
      throw new TopicTemplateError(`Topic template ${quoteTopic(source)} is invalid: ${why}`);
    };
    const seen = new Set<string>();
    const levels = source.split('/').map((text, index): TemplateLevel => {
      const at = `level ${index + 1}`;
      if (text.startsWith('{') && text.endsWith('}') && text.length >= 2) {
        const name = text.slice(1, -1);
        if (!PARAM_NAME.test(name)) {
          fail(
            `parameter ${quoteTopic(text)} has an invalid name. ` +
              'Names start with a letter or "_" and contain only letters, digits and "_".',
          );
        }
        if (seen.has(name))
          fail(`parameter "{${name}}" appears more than once. Give each parameter its own name.`);
        seen.add(name);
        return Object.freeze({ kind: 'param', name });
      }
      const braced = BRACED.exec(text);
      if (braced) {
        fail(
          `parameter ${quoteTopic(braced[0])} must occupy a whole level, ` +
            `but ${at} is ${quoteTopic(text)}.`,
        );
      }
      if (text.includes('{') || text.includes('}')) {
        fail(`${at} (${quoteTopic(text)}) has an unmatched brace. Parameters look like "{id}".`);
      }
      return Object.freeze({ kind: 'literal', value: text });
    });
    return new TopicTemplate(source, Object.freeze(levels));
  }

  /**
   * Extracts the parameters of a concrete topic.
   *
   * @returns a null-prototype map from parameter name to value, or `null` when the topic
   * is not one of this template's topics.
   * @example
   * TopicTemplate.parse('chat/{room}/{user}').match('chat/7/ann'); // { room: '7', user: 'ann' }
   */
  match(topic: string): Record<string, string> | null {
    const params: Record<string, string> = Object.create(null);
    let pos = 0;
    for (let index = 0; index < this.levels.length; index++) {
      if (pos > topic.length) return null;
      let end = topic.indexOf('/', pos);
      if (end === -1) end = topic.length;
      const level = this.levels[index];
      if (level.kind === 'literal') {
        if (end - pos !== level.value.length || !topic.startsWith(level.value, pos)) return null;
      } else {
        const value = topic.slice(pos, end);
        if (paramValueProblem(value, index) !== null) return null;
        params[level.name] = value;
      }
      pos = end + 1;
    }
    return pos > topic.length ? params : null;
  }

  /**
   * Builds the concrete topic for the given parameter values. Extra keys are ignored. The
   * length limit is not checked here: the publish path applies its configured limit.
   *
   * @throws {TopicTemplateError} when a parameter is missing or its value is not one valid
   * level (empty, contains `/`, `+`, `#` or a control character, or starts with `$` in the
   * first level).
   * @example
   * TopicTemplate.parse('chat/rooms/{roomId}').format({ roomId: '42' }); // 'chat/rooms/42'
   */
  format(params: Record<string, string>): string {
    const fail = (why: string): never => {
      throw new TopicTemplateError(
        `Cannot format topic template ${quoteTopic(this.source)}: ${why}`,
      );
    };
    const parts = this.levels.map((level, index) => {
      if (level.kind === 'literal') return level.value;
      if (!Object.prototype.hasOwnProperty.call(params, level.name)) {
        return fail(`parameter "${level.name}" is missing.`);
      }
      const value: unknown = params[level.name];
      if (typeof value !== 'string') {
        return fail(`parameter "${level.name}" must be a string, got ${typeof value}.`);
      }
      const problem = paramValueProblem(value, index);
      if (problem) fail(`parameter "${level.name}" ${problem}`);
      return value;
    });
    const topic = parts.join('/');
    // Control characters and lone surrogates: the topic rules say it best.
    const problem = validateTopicName(topic, Number.POSITIVE_INFINITY);
    return problem ? fail(problem) : topic;
  }

  /**
   * Whether a subscription filter matches at least one concrete topic of this template,
   * e.g. `chat/rooms/{id}` overlaps `chat/#`, `chat/+/7`, `#` and `chat/rooms/7`, but not
   * `chat/rooms`, `chat/rooms/7/x` or `chat/other/+`. The filter must be valid.
   */
  overlaps(filter: string): boolean {
    const first = this.levels[0];
    const wildFirst = filter.startsWith('+') || filter.startsWith('#');
    if (wildFirst && first.kind === 'literal' && first.value.startsWith('$')) return false;
    let pos = 0;
    for (let index = 0; ; index++) {
      if (pos > filter.length) return index === this.levels.length;
      let end = filter.indexOf('/', pos);
      if (end === -1) end = filter.length;
      const single = end - pos === 1;
      if (single && filter[pos] === '#') return true; // matches the rest, even nothing
      if (index === this.levels.length) return false;
      if (!(single && filter[pos] === '+')) {
        const level = this.levels[index];
        if (level.kind === 'literal') {
          if (end - pos !== level.value.length || !filter.startsWith(level.value, pos)) {
            return false;
          }
        } else if (index === 0 && filter[pos] === '$') {
          return false;
        }
      }
      pos = end + 1;
    }
  }
}

function paramValueProblem(value: string, levelIndex: number): string | null {
  if (value.length === 0) return 'is empty.';
  if (value.includes('/')) return `(${quoteTopic(value)}) contains "/"; a value is one level.`;
  if (value.includes('+') || value.includes('#')) {
    return `(${quoteTopic(value)}) contains a wildcard ("+", "#").`;
  }
  if (levelIndex === 0 && value.startsWith('$')) {
    return `(${quoteTopic(value)}) starts with "$", which is reserved in the first level.`;
  }
  return null;
}

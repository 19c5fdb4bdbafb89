/**
 * Validation of topics (what is published) and topic filters (what is subscribed to).
 * Both return a message instead of throwing: the publish and subscribe paths turn it into
 * a wire error and keep reading.
 */

/** Longest topic or filter accepted by default, in UTF-16 code units. */
export const DEFAULT_MAX_TOPIC_LENGTH = 256;

/** Most `/`-separated levels a topic or filter may have; bounds trie depth and recursion. */
export const MAX_TOPIC_LEVELS = 32;

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

/** Long inputs come from clients: quoting them whole would let them inflate our errors. */
const QUOTE_LIMIT = 64;

/** What is being checked; decides the wording and whether wildcards are allowed. @internal */
export type TopicKind = 'topic' | 'pattern' | 'template';

const SUBJECT: Record<TopicKind, string> = {
  topic: 'Topic',
  pattern: 'Pattern',
  template: 'Topic template',
};

/**
 * Checks a concrete topic, the kind a message is published to: non-empty `/`-separated
 * levels, no wildcards, no control characters, within the length and level limits.
 *
 * @param topic - the value to check; anything that is not a string is reported.
 * @param maxLength - longest accepted topic, in UTF-16 code units.
 * @returns `null` when valid, otherwise a message that says what is wrong.
 * @example
 * validateTopicName('chat/rooms/42'); // null
 * validateTopicName('chat//x');
 * // 'Topic "chat//x" is invalid: level 2 is empty. Levels are separated by "/".'
 */
export function validateTopicName(
  topic: unknown,
  maxLength = DEFAULT_MAX_TOPIC_LENGTH,
): string | null {
  return describeTopicProblem(topic, 'topic', maxLength);
}

/**
 * Checks a subscription filter: the rules of {@link validateTopicName}, plus MQTT wildcards.
 * `+` must fill a whole level; `#` must fill a whole level and be the last one.
 *
 * @returns `null` when valid, otherwise a message that says what is wrong.
 * @example
 * validateTopicFilter('chat/+/messages/#'); // null
 * validateTopicFilter('a/#/b'); // 'Pattern "a/#/b" is invalid: "#" must be the last level.'
 */
export function validateTopicFilter(
  filter: unknown,
  maxLength = DEFAULT_MAX_TOPIC_LENGTH,
): string | null {
  return describeTopicProblem(filter, 'pattern', maxLength);
}

/**
 * Whether a topic is reserved for the server (its first level starts with `$`, as in
 * `$dws/conn/abc`). Filters starting with `+` or `#` never match such topics.
 *
 * @example
 * isReservedTopic('$dws/conn/abc'); // true
 * isReservedTopic('chat/$x'); // false
 */
export function isReservedTopic(topic: string): boolean {
  return topic.charCodeAt(0) === DOLLAR;
}

/**
 * Shared scan behind the validators and `TopicTemplate.parse`. Braces are not special here:
 * the template parser checks them after this passes.
 *
 * @internal
 */
export function describeTopicProblem(
  value: unknown,
  kind: TopicKind,
  maxLength: number,
): string | null {
  const subject = SUBJECT[kind];
  if (typeof value !== 'string') return `${subject} must be a string, got ${typeName(value)}.`;
  if (value.length === 0) return `${subject} is invalid: it is empty.`;
  if (value.length > maxLength) {
    return `${subject} is invalid: it is ${value.length} characters long, the limit is ${maxLength}.`;
  }
  const invalid = (why: string): string => `${subject} ${quoteTopic(value)} is invalid: ${why}`;
  const length = value.length;
  let level = 1;
  let levelStart = 0;
  for (let i = 0; i <= length; i++) {
    const code = i < length ? value.charCodeAt(i) : SLASH;
    if (code === SLASH) {
      if (i === levelStart) return invalid(`level ${level} is empty. Levels are separated by "/".`);
      level++;
      levelStart = i + 1;
    } else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      return invalid(`it contains the control character U+${hex} at position ${i + 1}.`);
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate cannot be encoded as UTF-8, so other instances would see mojibake.
      const low = value.charCodeAt(i + 1);
      if (code > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) {
        return invalid(`it contains an unpaired surrogate at position ${i + 1}.`);
      }
      i++;
    } else if (code === PLUS || code === HASH) {
      if (kind === 'topic') {
        return invalid('wildcards ("+", "#") are only allowed in subscriptions.');
      }
      if (kind === 'template') {
        return invalid(
          'wildcards ("+", "#") are not allowed in templates. Use a parameter such as "{id}".',
        );
      }
      const sign = code === PLUS ? '+' : '#';
      if (i !== levelStart || (i + 1 < length && value.charCodeAt(i + 1) !== SLASH)) {
        return invalid(`"${sign}" must occupy a whole level.`);
      }
      if (code === HASH && i + 1 < length) return invalid('"#" must be the last level.');
    }
  }
  // The loop counted one level past the end (the virtual trailing "/").
  const levels = level - 1;
  if (levels > MAX_TOPIC_LEVELS) {
    return invalid(`it has ${levels} levels, the limit is ${MAX_TOPIC_LEVELS}.`);
  }
  return null;
}

/**
 * Quotes a topic for an error message, escaped like JSON and cut to ~64 characters.
 *
 * @internal
 */
export function quoteTopic(value: string): string {
  if (value.length <= QUOTE_LIMIT) return JSON.stringify(value);
  let cut = QUOTE_LIMIT - 1;
  const last = value.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--; // keep surrogate pairs whole
  return JSON.stringify(value.slice(0, cut) + '…');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

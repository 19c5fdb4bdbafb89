/** MQTT filter matching over the raw strings: it runs per delivery, so it allocates nothing. */

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

/**
 * Whether a subscription filter matches a concrete topic, with MQTT semantics: `+` matches
 * exactly one level, `#` matches the remaining levels including none (`a/#` matches `a`),
 * and a filter whose first level is a wildcard never matches a topic whose first level
 * starts with `$` (reserved server topics).
 *
 * Both arguments must already be valid (see `validateTopicFilter` / `validateTopicName`);
 * invalid input gives an unspecified answer, never an exception.
 *
 * @example
 * matchesFilter('chat/+/messages', 'chat/42/messages'); // true
 * matchesFilter('chat/#', 'chat'); // true
 * matchesFilter('#', '$dws/conn/abc'); // false
 */
export function matchesFilter(filter: string, topic: string): boolean {
  const filterLength = filter.length;
  const topicLength = topic.length;
  const first = filter.charCodeAt(0);
  if ((first === PLUS || first === HASH) && topic.charCodeAt(0) === DOLLAR) return false;

  let f = 0;
  let t = 0;
  for (;;) {
    // Here f and t both point at the start of a level.
    const code = filter.charCodeAt(f);
    if (code === HASH) return true;
    if (code === PLUS) {
      f++;
      while (t < topicLength && topic.charCodeAt(t) !== SLASH) t++;
    } else {
      while (f < filterLength && filter.charCodeAt(f) !== SLASH) {
        if (t >= topicLength || topic.charCodeAt(t) !== filter.charCodeAt(f)) return false;
        f++;
        t++;
      }
      if (t < topicLength && topic.charCodeAt(t) !== SLASH) return false;
    }

    const filterDone = f === filterLength;
    if (t === topicLength) {
      // The topic is used up: only a trailing "/#" may remain, matching zero levels.
      return filterDone || (f + 2 === filterLength && filter.charCodeAt(f + 1) === HASH);
    }
    if (filterDone) return false;
    f++;
    t++;
  }
}

/** Whether a filter has a wildcard level (`+` or `#`): without one it matches only itself. */
export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

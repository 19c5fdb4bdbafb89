import { TopicTemplate } from '../topics/topic-template.js';

/** The key of a template in `TopicMap`: a string, or a template literal type per parameter. */
export interface TopicKey {
  declaration: string;
  /** Matches the topics the key's type stands for (`${string}` spans any text, `/` included). */
  pattern: RegExp;
  /** The key with each `${string}` as a character no topic contains. */
  sample: string;
}

// Stands for a parameter while the key is built: no topic contains it.
const HOLE = '\u0000';

/** The `TopicMap` key of a `@Topic()` template. */
export function topicKey(template: string): TopicKey {
  const levels = TopicTemplate.parse(template).levels;
  const text = levels.map((l) => (l.kind === 'param' ? HOLE : l.value)).join('/');
  const pattern = new RegExp(
    `^${text
      .split(HOLE)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[\\s\\S]*')}$`,
  );
  const declaration = text.includes(HOLE)
    ? `[topic: \`${text
        .split(HOLE)
        .map((part) => part.replace(/[\\`]|\$\{/g, (c) => `\\${c}`))
        .join('${string}')}\`]`
    : JSON.stringify(text);
  return { declaration, pattern, sample: text };
}

/** Whether every topic of `inner`'s type is also one of `outer`'s. */
export function keyIncludes(outer: TopicKey, inner: TopicKey): boolean {
  return outer.pattern.test(inner.sample);
}

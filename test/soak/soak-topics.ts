// The soak's topics and who subscribes to what, shared by the driver and the client processes.
// Two families so that no client holds an exact topic its wildcard also matches: a message then
// reaches each client through exactly one subscription, and "once" is unambiguous.

/** The wildcard every wildcard subscriber holds; it spans `news/w0` … `news/w<n-1>`. */
export const WILDCARD = 'news/+';

export const exactTopic = (n: number): string => `orders/${n}/status`;
export const wildcardTopic = (n: number): string => `news/w${n}`;

/** How many exact and wildcard-family topics a run publishes to. */
export interface TopicCounts {
  exactTopics: number;
  wildcardTopics: number;
}

/** Every topic a publisher publishes to. */
export function publishedTopics(counts: TopicCounts): string[] {
  return [
    ...Array.from({ length: counts.exactTopics }, (_, n) => exactTopic(n)),
    ...Array.from({ length: counts.wildcardTopics }, (_, n) => wildcardTopic(n)),
  ];
}

/**
 * The patterns client `index` subscribes to: a quarter hold only the wildcard, a quarter the
 * wildcard and an exact topic, half only an exact topic.
 */
export function patternsOf(index: number, counts: TopicCounts): string[] {
  const exact = exactTopic(index % counts.exactTopics);
  switch (index % 4) {
    case 0:
      return [WILDCARD];
    case 1:
      return [exact, WILDCARD];
    default:
      return [exact];
  }
}

/** The concrete topics whose every message client `index` must receive. */
export function topicsOf(index: number, counts: TopicCounts): string[] {
  return patternsOf(index, counts).flatMap((pattern) =>
    pattern === WILDCARD
      ? Array.from({ length: counts.wildcardTopics }, (_, n) => wildcardTopic(n))
      : [pattern],
  );
}

// Named re-exports keep the @internal helpers of topic-validation out of the public API.
export {
  DEFAULT_MAX_TOPIC_LENGTH,
  MAX_TOPIC_LEVELS,
  isReservedTopic,
  validateTopicFilter,
  validateTopicName,
} from './topic-validation.js';
export { matchesFilter } from './topic-matcher.js';
export { TopicTemplate } from './topic-template.js';
export { TopicTemplateError } from '../errors/topic-template.error.js';
export type { TemplateLevel } from './topic-template.js';
export { SubscriptionIndex } from './subscription-index.js';

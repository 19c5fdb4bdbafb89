/** DI token of the `Broker` in use (in-memory or Redis Streams). */
export const DWS_BROKER = Symbol('dws:broker');

/** Metadata keys written by the decorators and read by the explorer. */
export const TOPICS_METADATA = 'dws:topics';
export const TOPIC_HOOK_METADATA = 'dws:topic-hook';
export const EVENT_METADATA = 'dws:event';

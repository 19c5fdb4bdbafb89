/** DI token of the `Broker` in use (in-memory or Redis Streams). */
export const DWS_BROKER = Symbol('dws:broker');

/** DI token of the start-up check of direct descriptor writes (`DirectWriteSelfTest`). */
export const DWS_DIRECT_WRITE_SELF_TEST = Symbol('dws:direct-write-self-test');

/** DI token of the boolean: deliveries go to socket descriptors (option on, self-test passed). */
export const DWS_DIRECT_WRITES = Symbol('dws:direct-writes');

/** Metadata keys written by the decorators and read by the explorer. */
export const TOPICS_METADATA = 'dws:topics';
export const TOPIC_HOOK_METADATA = 'dws:topic-hook';
export const EVENT_METADATA = 'dws:event';

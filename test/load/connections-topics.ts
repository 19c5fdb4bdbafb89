/** Even connections of the load test subscribe to this topic, odd ones to the pattern. */
export const LOAD_TOPIC = 'orders/1/status';
/** Matches LOAD_TOPIC: a delivery goes through the wildcard trie as well as the exact map. */
export const LOAD_PATTERN = 'orders/+/status';

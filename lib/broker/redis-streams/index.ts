export { RedisStreamsBroker } from './redis-streams.broker.js';
export type {
  RedisClusterConnection,
  RedisStreamsBrokerOptions,
  RedisStreamsConnection,
  RedisStreamsLogger,
} from './redis-streams.options.js';

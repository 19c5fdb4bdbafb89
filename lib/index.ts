/**
 * nestjs-distributed-ws: the public API of the main entry point. Everything here is
 * `@publicApi`; anything not exported here is internal and may change in any release.
 * Other entry points: `nestjs-distributed-ws/client` (the SDK), `/testing`, `/asyncapi`, `/proxy`.
 */

// The module and its options.
export { DistributedWsModule } from './distributed-ws.module.js';
export type { DistributedWsOptions } from './distributed-ws.options.js';
export type { RedisClusterInput, RedisConnectionInput } from './broker/broker.factory.js';
export type {
  AuthenticatedPrincipal,
  Authenticate,
  AuthFailureMode,
  OriginAllowList,
  PublishRateOptions,
  RateLimitedFrame,
  RateLimitInput,
  RateLimitOptions,
  TokenSource,
} from './auth.options.js';
export type { MetricsOptions, MetricsRegistry, MetricsServeOptions } from './metrics.options.js';
export type {
  AsyncApiInfoOptions,
  AsyncApiOptions,
  AsyncApiServerOptions,
} from './asyncapi.options.js';

// Declaring topics and events on gateways.
export { Topic } from './decorators/topic.decorator.js';
export { OnSubscribe, OnPublish } from './decorators/topic-hooks.decorator.js';
export { DescribeEvent } from './decorators/describe-event.decorator.js';
export { Principal } from './security/principal.decorator.js';
export type {
  EventOptions,
  JsonSchema,
  PresenceOptions,
  TopicOptions,
  TopicParameterOptions,
} from './decorators/topic-options.interface.js';
export type { PublishContext, SubscribeContext } from './adapter/hook-context.interface.js';
export { connectionOf, type ConnectionInfo } from './security/connection-info.js';

// Sending from the server.
export { Broadcaster } from './broadcaster/broadcaster.service.js';

// Health, and the token helpers for the application's own HTTP guards.
export {
  DistributedWsHealthIndicator,
  type DistributedWsHealth,
  type DistributedWsHealthResult,
} from './health/distributed-ws.health-indicator.js';
export { BEARER_PROTOCOL, extractToken } from './security/token-extraction.js';
export { isDocsOnlyMode } from './docs-mode.js';

// A backplane of one's own (the `broker` option), and the embedded one.
export type {
  Broker,
  BrokerEntry,
  BrokerHealth,
  BrokerListener,
  BrokerMessage,
  BrokerStatus,
  RangePage,
  ReplayPage,
  ReplayRange,
  ShardPosition,
  WantedTopics,
} from './broker/broker.interface.js';
export { InMemoryBroker } from './broker/in-memory/in-memory.broker.js';

// The wire protocol's codes and frames (docs/protocol.md).
export { CloseCode, ErrorCode, ReservedEvent } from './protocol/index.js';
export type {
  ClientFrame,
  ErrorData,
  MessageData,
  PresenceAck,
  PresenceEventData,
  PresenceMember,
  ResumeAck,
  WelcomeData,
} from './protocol/index.js';

// Every error class the library throws.
export * from './errors/index.js';

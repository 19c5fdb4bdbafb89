export { DistributedWsModule } from './distributed-ws.module.js';
export { DWS_OPTIONS } from './distributed-ws.module-definition.js';
export type { DistributedWsOptions } from './distributed-ws.options.js';
export { DEFAULT_OPTIONS } from './distributed-ws.options.js';
export { DWS_BROKER } from './distributed-ws.constants.js';
export {
  BROADCAST_TOPIC,
  CONNECTION_TOPIC_PREFIX,
  USER_TOPIC_PREFIX,
} from './topics/implicit-topics.js';
export { Broadcaster } from './broadcaster/broadcaster.service.js';
export { BroadcastError } from './errors/broadcast.error.js';
export { Topic } from './decorators/topic.decorator.js';
export { OnSubscribe, OnPublish } from './decorators/topic-hooks.decorator.js';
export { DescribeEvent } from './decorators/describe-event.decorator.js';
export type {
  TopicOptions,
  TopicParameterOptions,
  PresenceOptions,
  EventOptions,
  JsonSchema,
} from './decorators/topic-options.interface.js';
export type { SubscribeContext, PublishContext } from './adapter/hook-context.interface.js';
export { DistributedWsAdapter } from './adapter/distributed-ws.adapter.js';
export { connectionOf, type ConnectionInfo } from './security/connection-info.js';
export { DistributedWsConfigError } from './errors/config.error.js';
export { TopicRegistry } from './explorer/topic-registry.js';
export type { TopicDefinition, EventDefinition } from './explorer/topic-registry.js';
export type {
  Broker,
  BrokerEntry,
  BrokerMessage,
  ReplayPage,
  ShardPosition,
} from './broker/broker.interface.js';
export { BrokerUnavailableError } from './errors/broker-unavailable.error.js';
export type { BrokerHealth } from './broker/broker.interface.js';
export { DistributedWsHealthIndicator } from './health/distributed-ws.health-indicator.js';
export type {
  DistributedWsHealth,
  DistributedWsHealthResult,
} from './health/distributed-ws.health-indicator.js';
export type { MetricsOptions, MetricsRegistry, MetricsServeOptions } from './metrics.options.js';
export { InMemoryBroker } from './broker/in-memory/in-memory.broker.js';
export { ErrorCode, CloseCode, ReservedEvent } from './protocol/index.js';
export type {
  ClientFrame,
  WelcomeData,
  MessageData,
  ErrorData,
  ResumeAck,
  PresenceAck,
  PresenceEventData,
  PresenceMember,
} from './protocol/index.js';
export type {
  PresenceChange,
  PresenceStore,
  PresenceStoreOptions,
} from './presence/presence-store.interface.js';
export { InMemoryPresenceStore } from './presence/in-memory-presence.store.js';
export { TopicTemplateError } from './errors/topic-template.error.js';
export { buildAsyncApiDocument } from './asyncapi/asyncapi.builder.js';
export { serializeAsyncApi, type AsyncApiFormat } from './asyncapi/asyncapi.serializer.js';
export { describeDeclarations, type DeclarationSource } from './asyncapi/asyncapi.input.js';
export { generateAsyncApi, type GenerateAsyncApiOptions } from './asyncapi/asyncapi.generator.js';
export { AsyncApiGenerationError } from './errors/asyncapi-generation.error.js';
export type { PackageInfo } from './asyncapi/package-info.js';
export { isDocsOnlyMode } from './docs-mode.js';
export type {
  AsyncApiDocument,
  AsyncApiInfoOptions,
  AsyncApiInput,
  AsyncApiOptions,
  AsyncApiSecurityInput,
  AsyncApiServerOptions,
  EventInput,
  TopicInput,
} from './asyncapi/asyncapi.interface.js';
export { Principal } from './security/principal.decorator.js';
export { extractToken, BEARER_PROTOCOL } from './security/token-extraction.js';
export type {
  AuthenticatedPrincipal,
  Authenticate,
  AuthFailureMode,
  OriginAllowList,
  PublishRateOptions,
  TokenSource,
} from './auth.options.js';
export { WsProxyModule } from './proxy/ws-proxy.module.js';
export { WebSocketProxy } from './proxy/ws-proxy.service.js';
export { WS_PROXY_OPTIONS } from './proxy/ws-proxy.module-definition.js';
export { WsProxyConfigError } from './errors/ws-proxy-config.error.js';
export type { WsProxyOptions } from './proxy/ws-proxy.options.js';

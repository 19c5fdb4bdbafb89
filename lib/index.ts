export { DistributedWsModule } from './distributed-ws.module.js';
export { DWS_OPTIONS } from './distributed-ws.module-definition.js';
export type { DistributedWsOptions } from './distributed-ws.options.js';
export { DEFAULT_OPTIONS } from './distributed-ws.options.js';
export { DWS_BROKER, BROADCAST_TOPIC, CONNECTION_TOPIC_PREFIX, USER_TOPIC_PREFIX } from './distributed-ws.constants.js';
export { Broadcaster, BroadcastError } from './broadcaster/broadcaster.service.js';
export { Topic } from './decorators/topic.decorator.js';
export { OnSubscribe, OnPublish } from './decorators/topic-hooks.decorator.js';
export { DescribeEvent } from './decorators/describe-event.decorator.js';
export type {
  TopicOptions,
  TopicParameterOptions,
  EventOptions,
  JsonSchema,
} from './decorators/topic-options.interface.js';
export type { SubscribeContext, PublishContext } from './adapter/hook-context.interface.js';
export { DistributedWsAdapter, connectionOf } from './adapter/distributed-ws.adapter.js';
export { DistributedWsConfigError } from './adapter/runtime-options.js';
export { TopicRegistry } from './explorer/topic-registry.js';
export type { TopicDefinition, EventDefinition } from './explorer/topic-registry.js';
export type { Broker, BrokerEntry, BrokerMessage, ReplayPage, ShardPosition } from './broker/broker.interface.js';
export { BrokerUnavailableError } from './broker/broker.interface.js';
export { InMemoryBroker } from './broker/in-memory/in-memory.broker.js';
export { ErrorCode, CloseCode, ReservedEvent } from './protocol/index.js';
export type { ClientFrame, WelcomeData, MessageData, ErrorData, ResumeAck } from './protocol/index.js';
export { TopicTemplateError } from './topics/topic-template.js';

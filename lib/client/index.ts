/**
 * `nestjs-distributed-ws/client`: the client SDK, for browsers and Node. No Nest imports: only
 * the pure protocol, topic and offset modules are shared with the server.
 */
export { DistributedWsClient, connect } from './distributed-ws.client.js';
export { DwsClientError, ClientErrorCode } from './client.error.js';
export { CLIENT_DEFAULTS } from './client.options.js';
export type {
  ClientSession,
  DistributedWsClientOptions,
  TokenProvider,
  WebSocketConstructor,
  WebSocketLike,
} from './client.options.js';
export type { TokenTransport } from './token-transport.js';
export type {
  ClientEvents,
  ClientState,
  ConnectedEvent,
  DisconnectedEvent,
  NotRecoveredEvent,
  MessageHandler,
  MessageMeta,
  PayloadOf,
  PublishAck,
  SubscribeOptions,
  Subscription,
  TopicMap,
  EventMap,
  UntypedEvents,
  RequestOf,
  ReplyOf,
  CallData,
} from './client.types.js';
export type { PresenceEventData, PresenceMember } from '../protocol/frames.js';
export { ErrorCode } from '../protocol/error-codes.js';
export { CloseCode } from '../protocol/close-codes.js';
export { matchesFilter } from '../topics/topic-matcher.js';

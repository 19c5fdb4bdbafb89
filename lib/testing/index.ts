/**
 * `nestjs-distributed-ws/testing`: start your application in a test and talk to it with the SDK.
 * Needs `@nestjs/testing` (a peer dependency, only for this entry point); the main entry point
 * never imports this one.
 */
export { createTestingGateway } from './testing-gateway.js';
export type {
  TestingClientOptions,
  TestingGateway,
  TestingGatewayOptions,
  TestingModuleSource,
} from './testing-gateway.interface.js';
export { MessageRecorder, recordDirectMessages, recordMessages } from './message-recorder.js';
export type { ReceivedMessage, RecordMessagesOptions } from './message-recorder.js';
export { errorOf, nextError } from './client-errors.js';
export { TESTING_DEFAULTS } from './deadline.js';
export type { WaitOptions } from './deadline.js';
export { TestingGatewayError } from './testing-gateway.error.js';
export { TestingTimeoutError } from './testing-timeout.error.js';

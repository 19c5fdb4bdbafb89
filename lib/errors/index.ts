/**
 * Every error class the library throws at its users, in one place. Wire errors are not here:
 * clients get `error` frames with a `DWS_ERR_*` code (protocol/error-codes.ts).
 */
export { AsyncApiGenerationError } from './asyncapi-generation.error.js';
export { BroadcastError } from './broadcast.error.js';
export { BrokerUnavailableError } from './broker-unavailable.error.js';
export { DistributedWsConfigError } from './config.error.js';
export { NotReplicatedError } from './not-replicated.error.js';
export { OptionalPackageError } from './optional-package.error.js';
export { TopicTemplateError } from './topic-template.error.js';
export { WsProxyConfigError } from './ws-proxy-config.error.js';

export { buildAsyncApiDocument } from './asyncapi.builder.js';
export { serializeAsyncApi, formatOfPath, type AsyncApiFormat } from './asyncapi.serializer.js';
export {
  describeDeclarations,
  securityOf,
  DEFAULT_ASYNCAPI_SERVERS,
  type DeclarationSource,
  type AuthDescriptionSource,
} from './asyncapi.input.js';
export {
  generateAsyncApi,
  AsyncApiGenerationError,
  type GenerateAsyncApiOptions,
} from './asyncapi.generator.js';
export { AsyncApiServing, DEFAULT_ASYNCAPI_PATH } from './asyncapi.serving.js';
export { findPackageInfo, type PackageInfo } from './package-info.js';
export type {
  AsyncApiDocument,
  AsyncApiInfoOptions,
  AsyncApiInput,
  AsyncApiOptions,
  AsyncApiSecurityInput,
  AsyncApiServerOptions,
  EventInput,
  TopicInput,
} from './asyncapi.interface.js';
export { isDocsOnlyMode } from '../docs-mode.js';

/**
 * `nestjs-distributed-ws/asyncapi`: the AsyncAPI 3.0 document and the typed topics, built from
 * the same declarations the runtime enforces. The `dws-asyncapi` CLI is built on these.
 * @publicApi
 */
export { buildAsyncApiDocument } from './asyncapi.builder.js';
export { serializeAsyncApi, type AsyncApiFormat } from './asyncapi.serializer.js';
export { describeDeclarations, type DeclarationSource } from './asyncapi.input.js';
export {
  generateAsyncApi,
  type GenerateAsyncApiOptions,
  type GeneratedFiles,
} from './asyncapi.generator.js';
export type { PackageInfo } from './package-info.js';
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
export { AsyncApiGenerationError } from '../errors/asyncapi-generation.error.js';

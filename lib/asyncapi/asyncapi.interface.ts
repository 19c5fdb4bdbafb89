import type { TopicParameterOptions } from '../decorators/topic-options.interface.js';
import type { JsonSchema } from '../protocol/json-schema.js';
import type { AsyncApiInfoOptions, AsyncApiServerOptions } from '../asyncapi.options.js';

export type {
  AsyncApiInfoOptions,
  AsyncApiOptions,
  AsyncApiServerOptions,
} from '../asyncapi.options.js';

/**
 * How clients authenticate, as the builder renders it: each way becomes a security scheme of
 * every server (any one is enough) and, for headers and query parameters, part of the
 * connection's WebSocket binding.
 */
export interface AsyncApiSecurityInput {
  /** `Authorization: Bearer <token>` on the upgrade request. */
  header?: { bearerFormat?: string; description?: string };
  /** A query parameter of the upgrade URL. `name` @default 'access_token' */
  query?: { name?: string; description?: string };
  /** The token offered in `Sec-WebSocket-Protocol` (for browsers, which cannot set headers). */
  subprotocol?: { description?: string };
  /** Whether connections without credentials are accepted (as anonymous). @default false */
  optional?: boolean;
  /** What a failed authentication looks like to the client (a 401, a close code). CommonMark. */
  failure?: string;
}

/** One `@Topic()` declaration, as plain data. */
export interface TopicInput {
  template: string;
  gateway: string;
  path: string;
  payload?: JsonSchema;
  summary?: string;
  description?: string;
  clientsMayPublish: boolean;
  clientsMaySubscribe: boolean;
  params?: Record<string, TopicParameterOptions>;
  messageName?: string;
  examples?: unknown[];
  /** Whether `@OnSubscribe` hooks authorize subscriptions. */
  guardedSubscribe?: boolean;
  /**
   * Whether a subscription pattern may leave parameters open (`@Topic({ wildcards })`).
   * @default true
   */
  wildcards?: boolean;
  /** Whether `@OnPublish` hooks intercept client publishes. */
  interceptedPublish?: boolean;
  /** Set when the topic tracks presence (`@Topic({ presence })`). */
  presence?: { joinLeave: boolean };
}

/** One `@SubscribeMessage()` handler, with its `@DescribeEvent()` options. */
export interface EventInput {
  event: string;
  gateway: string;
  path: string;
  payload?: JsonSchema;
  reply?: JsonSchema;
  summary?: string;
  description?: string;
}

/** Everything the builder needs; plain data, so it is built and tested without Nest. */
export interface AsyncApiInput {
  id?: string;
  info: { title: string; version: string } & Omit<AsyncApiInfoOptions, 'title' | 'version'>;
  servers: Record<string, AsyncApiServerOptions>;
  topics: readonly TopicInput[];
  events: readonly EventInput[];
  security?: AsyncApiSecurityInput;
}

/** An AsyncAPI 3.0 document as plain JSON data. */
export type AsyncApiDocument = Record<string, unknown>;

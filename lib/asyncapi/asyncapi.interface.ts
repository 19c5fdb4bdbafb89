import type { JsonSchema, TopicParameterOptions } from '../decorators/topic-options.interface.js';

/** `info` of the document. Every field defaults from the app's package.json. */
export interface AsyncApiInfoOptions {
  /** @default package.json `name` */
  title?: string;
  /** @default package.json `version` */
  version?: string;
  /** CommonMark. @default package.json `description` */
  description?: string;
  /** @default package.json `author` (name, email, url), when present */
  contact?: { name?: string; url?: string; email?: string };
  /** @default package.json `license` (an SPDX id, linked to spdx.org) */
  license?: { name: string; url?: string };
}

/** One place clients connect to; expanded once per gateway path (the server's `pathname`). */
export interface AsyncApiServerOptions {
  /** Host name, with the port when it is not the protocol's default: `chat.example.com`. */
  host: string;
  /** @default 'ws' */
  protocol?: 'ws' | 'wss';
  /** CommonMark. */
  description?: string;
}

/**
 * `asyncapi` of the module options: what the generated document says about the app, and
 * whether the running app serves it.
 */
export interface AsyncApiOptions {
  info?: AsyncApiInfoOptions;
  /**
   * The document's `id`, a URI naming the application (`urn:example:chat`).
   * @default none
   */
  id?: string;
  /**
   * Servers by name. With several gateway paths each server appears once per path
   * (`production-ws`, `production-admin`).
   * @default { development: { host: 'localhost:3000', protocol: 'ws' } }
   */
  servers?: Record<string, AsyncApiServerOptions>;
  /**
   * Serves the document from the running app: `<path>` (a viewer page), `<path>.json` and
   * `<path>.yaml`. Routes are registered on the HTTP adapter directly, so a global prefix does
   * not apply to them. The viewer needs `@asyncapi/react-component` installed.
   * @default false
   */
  serve?: { path?: string } | false;
}

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

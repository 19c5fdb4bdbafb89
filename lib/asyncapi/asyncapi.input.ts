import { DEFAULT_OPTIONS, type DistributedWsOptions } from '../distributed-ws.options.js';
import type { EventDefinition, TopicDefinition } from '../explorer/topic-registry.js';
import type {
  AsyncApiInfoOptions,
  AsyncApiInput,
  AsyncApiOptions,
  AsyncApiSecurityInput,
  AsyncApiServerOptions,
} from './asyncapi.interface.js';
import { findPackageInfo, type PackageInfo } from './package-info.js';
import { ACCESS_TOKEN_QUERY, BEARER_PROTOCOL } from '../protocol/credentials.js';

/** @default servers of the document when the options name none. */
export const DEFAULT_ASYNCAPI_SERVERS: Record<string, AsyncApiServerOptions> = {
  development: { host: 'localhost:3000', protocol: 'ws' },
};

/** What the builder reads from the topic registry. */
export interface DeclarationSource {
  readonly topics: readonly TopicDefinition[];
  readonly events: readonly EventDefinition[];
}

/**
 * Turns the registry (what the runtime enforces), the module's `asyncapi` options and the app's
 * package.json into the builder's plain input.
 *
 * @param security how clients authenticate, once authentication is configured.
 */
export function describeDeclarations(
  registry: DeclarationSource,
  options: AsyncApiOptions = {},
  pkg: PackageInfo | null = null,
  security?: AsyncApiSecurityInput,
): AsyncApiInput {
  return {
    ...(options.id ? { id: options.id } : {}),
    info: infoOf(options.info ?? {}, pkg ?? {}),
    servers: options.servers ?? DEFAULT_ASYNCAPI_SERVERS,
    topics: registry.topics.map((t) => ({
      template: t.template.source,
      gateway: t.gateway,
      path: t.path,
      payload: t.options.payload,
      summary: t.options.summary,
      description: t.options.description,
      clientsMayPublish: t.clientsMayPublish,
      clientsMaySubscribe: t.clientsMaySubscribe,
      params: t.options.params,
      messageName: t.options.messageName,
      examples: t.options.examples,
      guardedSubscribe: t.subscribeHooks.length > 0,
      wildcards: t.wildcards,
      interceptedPublish: t.publishHooks.length > 0,
      ...(t.presence ? { presence: { joinLeave: t.presence.joinLeave } } : {}),
    })),
    events: registry.events.map((e) => ({
      event: e.event,
      gateway: e.gateway,
      path: e.path,
      payload: e.options.payload,
      reply: e.options.reply,
      summary: e.options.summary,
      description: e.options.description,
    })),
    ...(security ? { security } : {}),
  };
}

/**
 * The input of an app, the same for the CLI and for serving: its registry, its module options
 * (`asyncapi` and authentication) and the nearest package.json at or above `packageDir`.
 */
export function describeApp(
  registry: DeclarationSource,
  options: Pick<DistributedWsOptions, 'asyncapi'> & AuthDescriptionSource,
  packageDir: string,
): AsyncApiInput {
  return describeDeclarations(
    registry,
    options.asyncapi,
    findPackageInfo(packageDir),
    securityOf(options),
  );
}

function infoOf(info: AsyncApiInfoOptions, pkg: PackageInfo): AsyncApiInput['info'] {
  const contact = info.contact ?? contactOf(pkg.author);
  const license = info.license ?? licenseOf(pkg.license);
  const description = info.description ?? pkg.description;
  return {
    title: info.title ?? pkg.name ?? 'WebSocket API',
    version: info.version ?? pkg.version ?? '0.0.0',
    ...(description ? { description } : {}),
    ...(contact ? { contact } : {}),
    ...(license ? { license } : {}),
  };
}

/** `"Ada <ada@example.com> (https://ada.dev)"` or `{ name, email, url }`; none if all are empty. */
function contactOf(author: PackageInfo['author']): AsyncApiInfoOptions['contact'] | undefined {
  if (!author) return undefined;
  const [, name, email, url] =
    typeof author === 'object'
      ? [author, author.name, author.email, author.url]
      : (/^([^<(]*?)\s*(?:<([^>]*)>)?\s*(?:\(([^)]*)\))?$/.exec(author.trim()) ?? [author, author]);
  if (!name && !email && !url) return undefined;
  return { ...(name ? { name } : {}), ...(url ? { url } : {}), ...(email ? { email } : {}) };
}

/** An SPDX id, linked to its page; `UNLICENSED` and `SEE LICENSE IN …` give nothing. */
function licenseOf(license: string | undefined): AsyncApiInfoOptions['license'] | undefined {
  if (!license || !/^[A-Za-z0-9.+-]+$/.test(license) || license === 'UNLICENSED') return undefined;
  return { name: license, url: `https://spdx.org/licenses/${license}.html` };
}

/** The auth-related module options the document describes. */
export type AuthDescriptionSource = Pick<
  DistributedWsOptions,
  'authenticate' | 'tokenSources' | 'authFailure'
>;

/**
 * How clients authenticate, from the module options: nothing without `authenticate`, else one
 * way per token source, in the module's defaults when `tokenSources` is not set.
 */
export function securityOf(options: AuthDescriptionSource): AsyncApiSecurityInput | undefined {
  if (!options.authenticate) return undefined;
  const sources = options.tokenSources ?? DEFAULT_OPTIONS.tokenSources;
  const security: AsyncApiSecurityInput = {};
  if (sources.includes('header')) security.header = {};
  if (sources.includes('query')) security.query = { name: ACCESS_TOKEN_QUERY };
  if (sources.includes('protocol')) {
    security.subprotocol = {
      description: `Offer \`${BEARER_PROTOCOL}\` and the token as subprotocols (\`new WebSocket(url, ['${BEARER_PROTOCOL}', token])\`); the server answers \`${BEARER_PROTOCOL}\`.`,
    };
  }
  security.failure =
    options.authFailure === 'close'
      ? 'A refused client sees the WebSocket open and close at once with 1008.'
      : 'A refused client gets HTTP 401 at the upgrade; no WebSocket opens.';
  return security;
}

import type {
  AsyncApiInput,
  AsyncApiSecurityInput,
  AsyncApiServerOptions,
} from './asyncapi.interface.js';
import { compareStrings, pathSlug } from './asyncapi.names.js';
import { ACCESS_TOKEN_QUERY } from '../protocol/credentials.js';
import { securityText } from './protocol-text.js';
import { ref, WS_BINDING } from './topic-channels.js';

type Json = Record<string, unknown>;

/** One server per configured server and gateway path, named `<server>` or `<server>-<path>`. */
export function buildServers(
  input: AsyncApiInput,
  declarations: { path: string; gateway: string }[],
  schemes: string[],
): Json {
  const gateways = new Map<string, Set<string>>();
  for (const { path, gateway } of declarations) {
    gateways.set(path, (gateways.get(path) ?? new Set()).add(gateway));
  }
  const paths = [...gateways.keys()].sort(compareStrings);
  const configured = Object.entries(input.servers).sort(([a], [b]) => compareStrings(a, b));
  const result: Json = {};
  for (const [name, server] of configured) {
    if (paths.length === 0) {
      result[name] = serverObject(server, undefined, [], input.security, schemes);
      continue;
    }
    for (const path of paths) {
      const id = paths.length === 1 ? name : `${name}-${pathSlug(path)}`;
      result[id] = serverObject(
        server,
        path,
        [...gateways.get(path)!].sort(compareStrings),
        input.security,
        schemes,
      );
    }
  }
  return result;
}

function serverObject(
  server: AsyncApiServerOptions,
  path: string | undefined,
  gateways: string[],
  security: AsyncApiSecurityInput | undefined,
  schemes: string[],
): Json {
  const protocol = server.protocol ?? 'ws';
  const result: Json = { host: server.host };
  if (path) result.pathname = path;
  result.protocol = protocol;
  const text = [
    server.description,
    `Connect to \`${protocol}://${server.host}${path ?? ''}\`${gateways.length ? ` (${gateways.join(', ')})` : ''}.`,
    security ? securityText(security) : undefined,
  ];
  result.description = text.filter(Boolean).join('\n\n');
  if (schemes.length) result.security = schemes.map((s) => ref('components', 'securitySchemes', s));
  return result;
}

/**
 * The WebSocket binding of the connection channel: the upgrade is a GET, and the headers and
 * query parameters that carry credentials are part of it.
 */
export function upgradeBinding(security: AsyncApiSecurityInput | undefined): Json {
  const binding: Json = { method: 'GET' };
  const query = security?.query;
  if (query) {
    binding.query = {
      type: 'object',
      properties: {
        [query.name ?? ACCESS_TOKEN_QUERY]: {
          type: 'string',
          description: query.description ?? 'The access token.',
        },
      },
    };
  }
  const headers: Json = {};
  if (security?.header) {
    headers.Authorization = {
      type: 'string',
      pattern: '^Bearer .+$',
      description: security.header.description ?? '`Bearer <token>`.',
    };
  }
  if (security?.subprotocol) {
    headers['Sec-WebSocket-Protocol'] = {
      type: 'string',
      description:
        security.subprotocol.description ?? 'The access token, offered as a subprotocol.',
    };
  }
  if (Object.keys(headers).length) binding.headers = { type: 'object', properties: headers };
  binding.bindingVersion = WS_BINDING.ws.bindingVersion;
  return binding;
}

/** `components.securitySchemes`: one scheme per way of presenting the token. */
export function buildSecuritySchemes(
  security: AsyncApiSecurityInput | undefined,
): Json | undefined {
  if (!security) return undefined;
  const schemes: Json = {};
  if (security.header) {
    schemes.bearerHeader = {
      type: 'http',
      scheme: 'bearer',
      ...(security.header.bearerFormat ? { bearerFormat: security.header.bearerFormat } : {}),
      description:
        security.header.description ?? '`Authorization: Bearer <token>` on the upgrade request.',
    };
  }
  if (security.query) {
    const name = security.query.name ?? ACCESS_TOKEN_QUERY;
    schemes.accessTokenQuery = {
      type: 'httpApiKey',
      name,
      in: 'query',
      description:
        security.query.description ??
        `The token in the \`${name}\` query parameter of the WebSocket URL.`,
    };
  }
  if (security.subprotocol) {
    schemes.subprotocolToken = {
      type: 'httpApiKey',
      name: 'Sec-WebSocket-Protocol',
      in: 'header',
      description:
        security.subprotocol.description ??
        'The token offered in `Sec-WebSocket-Protocol`, for browsers, which cannot set headers.',
    };
  }
  return Object.keys(schemes).length ? schemes : undefined;
}

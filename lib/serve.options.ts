import type { IncomingMessage } from 'node:http';

/**
 * Decides whether an HTTP request may read an operator route (metrics, AsyncAPI): `true` serves
 * it, `false` answers 403. Throwing an `HttpException` answers its status instead (e.g.
 * `UnauthorizedException`: 401); anything else thrown answers 403.
 * @param request Node's request (Express and Fastify alike): headers, remote address, URL
 */
export type ServeGuard = (request: IncomingMessage) => boolean | Promise<boolean>;

/**
 * Where and to whom an operator route is served. Without `port` and `guard`, the route is
 * public: anyone who reaches the app's port reads it.
 *
 * @example
 * ```ts
 * // On the app's port, for whoever knows the scrape token:
 * serve: { path: '/metrics', guard: (req) => req.headers.authorization === `Bearer ${token}` }
 * // On an internal port the load balancer does not expose (absent from the app's port):
 * serve: { port: 9464 }
 * ```
 */
export interface ServeOptions {
  /** HTTP path of the route. @default '/metrics' for metrics, '/asyncapi' for the document */
  path?: string;
  /**
   * Asked before every request is answered.
   * @default undefined (anyone who reaches the port)
   */
  guard?: ServeGuard;
  /**
   * Serves the route on its own HTTP server listening on this port, instead of the app's. Routes
   * given the same port share that server. Keep the port off the public network.
   * @default undefined (the app's own HTTP server)
   */
  port?: number;
  /**
   * Interface the `port` server listens on (e.g. `'127.0.0.1'` for scrapes from the same host).
   * @default undefined (every interface, as Node's `listen`)
   */
  host?: string;
}

/** Checks a `serve` option at boot. @returns what is wrong with it, or null. */
export function serveOptionsProblem(serve: unknown): string | null {
  if (typeof serve !== 'object' || serve === null) {
    return '"serve" must be an object { path?, guard?, port?, host? }';
  }
  const { path, guard, port, host } = serve as Record<string, unknown>;
  if (path !== undefined && !(typeof path === 'string' && /^\/[^\s?#]*$/.test(path))) {
    return `"serve.path" must be a path starting with "/", got ${String(path)}`;
  }
  if (guard !== undefined && typeof guard !== 'function') {
    return '"serve.guard" must be a function (request) => boolean | Promise<boolean>';
  }
  if (
    port !== undefined &&
    !(Number.isSafeInteger(port) && (port as number) > 0 && (port as number) < 65536)
  ) {
    return `"serve.port" must be a port number (1-65535), got ${String(port)}`;
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    return '"serve.host" must be a host name or address';
  }
  if (host !== undefined && port === undefined) {
    return '"serve.host" needs "serve.port": the app\'s own server listens where the app says';
  }
  return null;
}

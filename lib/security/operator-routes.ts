import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { ServeGuard, ServeOptions } from '../serve.options.js';
import { errorStatusOf } from './handshake-gate.js';

/** What an operator route answers. */
export interface RouteReply {
  status: number;
  /** `Content-Type`. */
  type: string;
  body: string;
  /** @default 'no-store' */
  cacheControl?: string;
}

/** Makes a route's answer; a throw is logged and answered with a bare 500. */
export type RouteHandler = () => RouteReply | Promise<RouteReply>;

type Answer = (request: IncomingMessage) => Promise<RouteReply>;

/** An HTTP server of its own, for the routes given one `port`. */
interface PortServer {
  host?: string;
  server: Server;
  routes: Map<string, Answer>;
}

/**
 * The HTTP routes meant for operators (Prometheus scrapes, the AsyncAPI document), served either
 * on the app's HTTP server (Express or Fastify, no controller) or on a server of their own per
 * `serve.port`, and answered only when `serve.guard` allows it.
 *
 * Routes are added in `onModuleInit` (the app's router shadows later ones); port servers listen
 * in `onApplicationBootstrap`, so a port in use fails the boot, and close at shutdown.
 */
@Injectable()
export class OperatorRoutes implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DistributedWs');
  private readonly ports = new Map<number, PortServer>();

  constructor(private readonly httpHost: HttpAdapterHost) {}

  /**
   * Answers `GET path` with `handler`, where and to whom `serve` says.
   * @param label names the route in the log when `handler` throws
   * @throws Error when another route was given the same `serve.port` with another `serve.host`
   */
  get(serve: ServeOptions, path: string, label: string, handler: RouteHandler): void {
    const answer: Answer = (request) => this.answer(serve.guard, request, label, handler);
    if (serve.port !== undefined) {
      this.portServer(serve.port, serve.host).routes.set(path, answer);
      return;
    }
    const adapter = this.httpHost?.httpAdapter;
    if (!adapter) return;
    adapter.get(path, async (request: unknown, response: unknown) => {
      // Fastify hands its own request object, with Node's as `raw`.
      const raw = (request as { raw?: IncomingMessage }).raw ?? (request as IncomingMessage);
      const reply = await answer(raw);
      adapter.setHeader(response, 'Content-Type', reply.type);
      adapter.setHeader(response, 'Cache-Control', reply.cacheControl ?? 'no-store');
      return adapter.reply(response, reply.body, reply.status);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const listening = await Promise.allSettled(
      [...this.ports].map(([port, served]) => listen(port, served)),
    );
    const failed = listening.find((result) => result.status === 'rejected');
    if (!failed) return;
    // The boot fails: the servers that did start must not keep the process alive.
    await this.onApplicationShutdown();
    throw failed.reason;
  }

  async onApplicationShutdown(): Promise<void> {
    const closing = [...this.ports.values()].map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    this.ports.clear();
    await Promise.all(closing);
  }

  private async answer(
    guard: ServeGuard | undefined,
    request: IncomingMessage,
    label: string,
    handler: RouteHandler,
  ): Promise<RouteReply> {
    if (guard) {
      const status = await refusalOf(guard, request);
      if (status !== null) return bare(status);
    }
    try {
      return await handler();
    } catch (error) {
      // The reason stays in the log: an error message can name files, hosts or package versions.
      this.logger.error(`${label}: ${(error as Error)?.message ?? String(error)}`);
      return bare(500);
    }
  }

  private portServer(port: number, host: string | undefined): PortServer {
    const existing = this.ports.get(port);
    if (existing) {
      if (existing.host !== host) {
        throw new Error(
          `Two operator routes are served on port ${port} with different hosts (${String(existing.host)}, ${String(host)}): give them the same "serve.host", or different ports.`,
        );
      }
      return existing;
    }
    const routes = new Map<string, Answer>();
    const server = createServer((request, response) => {
      const answer = routes.get(new URL(request.url ?? '/', 'http://localhost').pathname);
      const done = (reply: RouteReply) =>
        response
          .writeHead(reply.status, {
            'Content-Type': reply.type,
            'Cache-Control': reply.cacheControl ?? 'no-store',
          })
          .end(request.method === 'HEAD' ? undefined : reply.body);
      if (!answer) return done(bare(404));
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.setHeader('Allow', 'GET, HEAD');
        return done(bare(405));
      }
      void answer(request).then(done);
    });
    const served = { host, server, routes };
    this.ports.set(port, served);
    return served;
  }
}

/** The status a guard's refusal answers, or null when it lets the request through. */
async function refusalOf(guard: ServeGuard, request: IncomingMessage): Promise<number | null> {
  try {
    return (await guard(request)) === true ? null : 403;
  } catch (error) {
    return errorStatusOf(error, 403);
  }
}

/** A plain-text answer that says no more than its status line. */
function bare(status: number): RouteReply {
  return { status, type: 'text/plain; charset=utf-8', body: STATUS_CODES[status] ?? 'Error' };
}

function listen(port: number, { host, server }: PortServer): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `Cannot serve the operator routes on port ${port}${host ? ` of ${host}` : ''}: ${error.code ?? error.message}. Give "serve.port" a free port.`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
}

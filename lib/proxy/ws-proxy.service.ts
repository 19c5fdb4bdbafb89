import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { EventEmitter } from 'node:events';
import { type IncomingHttpHeaders, type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { CloseCode } from '../protocol/close-codes.js';
import { BEARER_PROTOCOL } from '../protocol/credentials.js';
import { selectProtocol } from '../security/token-extraction.js';
import { ProxyLink } from './proxy-link.js';
import { upstreamRequestFor } from './upstream-request.js';
import { WS_PROXY_OPTIONS } from './ws-proxy.module-definition.js';
import {
  resolveProxyOptions,
  type ResolvedWsProxyOptions,
  type WsProxyOptions,
} from './ws-proxy.options.js';

// Upstream refusals whose headers the client needs to act on (authenticate, retry later).
const PASSED_HEADERS = ['www-authenticate', 'retry-after'] as const;
const SHUTDOWN_GRACE_MS = 2000;

/**
 * Forwards the WebSocket upgrades of one path of this app to an upstream WebSocket server.
 *
 * The upstream is connected first, with the client's credentials, so that its answer is the
 * client's: an HTTP refusal (401, 403, 503…) is passed on as is, the subprotocol it picks is the
 * one the client gets. If it can't be reached (refused, timeout, DNS), the client is accepted and
 * closed with 4502 (`CloseCode.UpstreamUnavailable`) — browsers can read a close code, not a
 * status. Once both are open a `ProxyLink` joins them.
 */
@Injectable()
export class WebSocketProxy implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly options: ResolvedWsProxyOptions;
  private readonly server: WebSocketServer;
  private readonly links = new Set<ProxyLink>();
  private readonly connecting = new Set<WebSocket>();
  private readonly chosenProtocol = new WeakMap<IncomingMessage, string>();
  private detach: (() => void) | null = null;

  constructor(
    @Inject(WS_PROXY_OPTIONS) options: WsProxyOptions,
    private readonly httpHost: HttpAdapterHost,
  ) {
    this.options = resolveProxyOptions(options);
    this.server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      autoPong: false,
      perMessageDeflate: false,
      maxPayload: this.options.maxPayload,
      handleProtocols: (offered, request) => this.protocolFor(offered, request),
    });
  }

  /** Proxied connections open right now. */
  get size(): number {
    return this.links.size;
  }

  onApplicationBootstrap(): void {
    const server = this.httpHost.httpAdapter?.getHttpServer();
    if (!server)
      throw new Error(
        'WsProxyModule needs an HTTP application (NestFactory.create), not a standalone context.',
      );
    this.attach(server);
  }

  /**
   * Starts forwarding upgrades of `path` on `server`. Called at bootstrap for the app's server;
   * call it yourself for another one.
   */
  attach(server: EventEmitter): void {
    if (this.detach) return;
    // Nest's WsAdapter destroys every upgrade whose path none of its gateways serve, whichever
    // listener runs first; so proxied paths are taken at `emit`, before any listener sees them.
    const emit = server.emit;
    let active = true;
    const handles = (request: IncomingMessage) => active && this.handles(request);
    const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      void this.upgrade(request, socket, head);
    const patched = function (this: unknown, event: string | symbol, ...args: any[]): boolean {
      if (event !== 'upgrade' || !handles(args[0])) return emit.apply(this, [event, ...args]);
      upgrade(args[0], args[1], args[2]);
      return true;
    };
    server.emit = patched as typeof server.emit;
    // Node only treats a request as an upgrade when someone listens; alone, refuse other paths.
    const orphan = (_req: unknown, socket: Duplex) =>
      server.listenerCount('upgrade') === 1 && socket.destroy();
    server.on('upgrade', orphan);
    this.detach = () => {
      active = false;
      if (server.emit === patched) server.emit = emit;
      server.off('upgrade', orphan);
    };
  }

  /** Stops accepting, closes every proxied client with 1012 and waits (bounded) for the closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.detach?.();
    this.detach = null;
    for (const upstream of this.connecting) upstream.terminate();
    const links = [...this.links];
    for (const link of links) link.close();
    const closed = Promise.all(links.map((l) => l.closed));
    await Promise.race([closed, new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS).unref())]);
    for (const link of links) [link.client, link.upstream].forEach((ws) => ws.terminate());
  }

  private handles(request: IncomingMessage): boolean {
    return (request.url ?? '').split('?', 1)[0] === this.options.path;
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    let upstream: WebSocket;
    try {
      const target = await upstreamRequestFor(request, this.options);
      upstream = new WebSocket(target.url, target.protocols, {
        headers: target.headers,
        origin: target.origin,
        handshakeTimeout: this.options.connectTimeoutMs,
        maxPayload: this.options.maxPayload,
        autoPong: false,
        perMessageDeflate: false,
      });
    } catch {
      // The `upstream` function threw or returned something `ws` can't connect to.
      return this.unavailable(request, socket, head);
    }
    this.connecting.add(upstream);
    const clientLeft = () => upstream.terminate();
    socket.once('close', clientLeft);
    // Membership in `connecting` is the phase: false when it had already ended (open, refusal).
    const settle = () => {
      socket.off('close', clientLeft);
      return this.connecting.delete(upstream);
    };
    upstream.once('open', () => {
      settle();
      this.chosenProtocol.set(request, upstream.protocol);
      this.server.handleUpgrade(request, socket, head, (client) => this.link(client, upstream));
    });
    upstream.once('unexpected-response', (upstreamRequest, response) => {
      settle();
      refuse(socket, response.statusCode ?? 502, response.headers);
      response.resume();
      upstreamRequest.destroy();
    });
    upstream.on('error', () => {
      if (settle()) this.unavailable(request, socket, head);
    });
  }

  /**
   * The upstream's choice; else the `dws.bearer` marker if offered (the proxy consumed it, and a
   * browser that offered subprotocols fails without an answer); else, when the upstream was never
   * reached, what the gateway itself would pick.
   */
  private protocolFor(offered: Set<string>, request: IncomingMessage): string | false {
    const upstreamChoice = this.chosenProtocol.get(request);
    if (upstreamChoice === undefined) return selectProtocol(offered);
    return upstreamChoice || (offered.has(BEARER_PROTOCOL) && BEARER_PROTOCOL);
  }

  private link(client: WebSocket, upstream: WebSocket): void {
    const link = new ProxyLink(client, upstream, this.options.highWaterMark);
    this.links.add(link);
    void link.closed.then(() => this.links.delete(link));
  }

  private unavailable(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (socket.destroyed) return;
    this.server.handleUpgrade(request, socket, head, (client) => {
      client.on('error', () => undefined);
      client.close(CloseCode.UpstreamUnavailable, 'upstream unavailable');
    });
  }
}

function refuse(socket: Duplex, status: number, headers: IncomingHttpHeaders): void {
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Length: 0',
  ];
  for (const name of PASSED_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') lines.push(`${name}: ${value}`);
  }
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n`);
}

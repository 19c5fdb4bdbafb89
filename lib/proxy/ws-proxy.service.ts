import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type VerifyClientCallbackAsync, type WebSocket, WebSocketServer } from 'ws';
import { CloseCode } from '../protocol/close-codes.js';
import { BEARER_PROTOCOL } from '../protocol/credentials.js';
import { selectProtocol } from '../security/token-extraction.js';
import { ProxyLink } from './proxy-link.js';
import { dialUpstream, type UpstreamDial } from './upstream-dial.js';
import { WS_PROXY_OPTIONS } from './ws-proxy.module-definition.js';
import {
  resolveProxyOptions,
  type ResolvedWsProxyOptions,
  type WsProxyOptions,
} from './ws-proxy.options.js';

const SHUTDOWN_GRACE_MS = 2000;

type Verified = Parameters<VerifyClientCallbackAsync>[1];

/** A client whose upgrade was validated and whose upstream is being dialed (or just opened). */
interface PendingClient {
  /** The open upstream, or null when it could not be reached (the client gets 4502). */
  upstream: WebSocket | null;
  /** Stops watching the client's socket: from now on the link handles its close. */
  release(): void;
}

/**
 * Forwards the WebSocket upgrades of one path of this app to an upstream WebSocket server.
 *
 * The client's upgrade request is validated first (by `ws`, as for any WebSocket server); only a
 * valid one, within `maxConnections`, makes the proxy dial the upstream, with the client's
 * credentials, so that its answer is the client's: an HTTP refusal (401, 403, 503…) is passed on
 * as is, the subprotocol it picks is the one the client gets. If it can't be reached (refused,
 * timeout, DNS), the client is accepted and closed with 4502 (`CloseCode.UpstreamUnavailable`) —
 * browsers can read a close code, not a status. Once both are open a `ProxyLink` joins them.
 *
 * Every upstream socket the proxy creates is tracked until it has closed: a client that leaves or
 * fails its upgrade while its upstream is being dialed or has just opened takes that upstream
 * with it, and shutdown terminates whatever is left.
 */
@Injectable()
export class WebSocketProxy implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly options: ResolvedWsProxyOptions;
  private readonly server: WebSocketServer;
  private readonly links = new Set<ProxyLink>();
  private readonly dials = new Set<UpstreamDial>();
  /** Every upstream socket this proxy created and that has not closed yet. */
  private readonly upstreams = new Set<WebSocket>();
  private readonly pending = new WeakMap<IncomingMessage, PendingClient>();
  private detach: (() => void) | null = null;
  private closing = false;

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
      // Called once `ws` has validated the request (method, key, version, subprotocols).
      verifyClient: (info, done) => this.verify(info.req, done),
    });
  }

  /** Proxied connections open right now. */
  get size(): number {
    return this.links.size;
  }

  /** Upstream sockets this proxy holds right now: open, opening or closing. */
  get upstreamSockets(): number {
    return this.upstreams.size;
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
      this.upgrade(request, socket, head);
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

  /**
   * Stops accepting, aborts the dials in progress, closes every proxied client with 1012 and
   * waits (bounded) for the closes; then no upstream socket is left.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.detach?.();
    this.detach = null;
    for (const dial of this.dials) dial.abort();
    const links = [...this.links];
    for (const link of links) link.close();
    const closed = Promise.all(links.map((l) => l.closed));
    await Promise.race([closed, new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS).unref())]);
    for (const link of links) link.client.terminate();
    for (const upstream of this.upstreams) upstream.terminate();
  }

  private handles(request: IncomingMessage): boolean {
    return (request.url ?? '').split('?', 1)[0] === this.options.path;
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    this.server.handleUpgrade(request, socket, head, (client) => this.accepted(client, request));
  }

  /** Dials the upstream for a valid upgrade request, then lets `ws` accept or refuse the client. */
  private verify(request: IncomingMessage, done: Verified): void {
    if (this.closing) return done(false, 503, 'Service shutting down');
    if (this.links.size + this.dials.size >= this.options.maxConnections) {
      return done(false, 503, 'Too many connections');
    }
    const dial = dialUpstream(request, this.options, (upstream) => this.track(upstream));
    this.dials.add(dial);
    // Until the link takes over, a client socket that closes (it left, or `ws` refused it after
    // the verification) takes its upstream with it.
    const client = request.socket;
    const clientLeft = () => dial.abort();
    client.once('close', clientLeft);
    const release = () => client.off('close', clientLeft);
    void dial.outcome.then((outcome) => {
      this.dials.delete(dial);
      if ('refusal' in outcome) {
        release();
        return done(false, outcome.refusal.status, undefined, outcome.refusal.headers);
      }
      if (this.closing) {
        dial.abort();
        release();
        return done(false, 503, 'Service shutting down');
      }
      this.pending.set(request, {
        upstream: 'upstream' in outcome ? outcome.upstream : null,
        release,
      });
      done(true);
    });
  }

  private track(upstream: WebSocket): void {
    this.upstreams.add(upstream);
    upstream.once('close', () => this.upstreams.delete(upstream));
  }

  /**
   * The upstream's choice; else the `dws.bearer` marker if offered (the proxy consumed it, and a
   * browser that offered subprotocols fails without an answer); else, when the upstream was never
   * reached, what the gateway itself would pick.
   */
  private protocolFor(offered: Set<string>, request: IncomingMessage): string | false {
    const upstream = this.pending.get(request)?.upstream;
    if (!upstream) return selectProtocol(offered);
    return upstream.protocol || (offered.has(BEARER_PROTOCOL) && BEARER_PROTOCOL);
  }

  private accepted(client: WebSocket, request: IncomingMessage): void {
    const pending = this.pending.get(request);
    this.pending.delete(request);
    pending?.release();
    if (!pending?.upstream) {
      client.on('error', () => undefined);
      client.close(CloseCode.UpstreamUnavailable, 'upstream unavailable');
      return;
    }
    const link = new ProxyLink(client, pending.upstream, this.options.highWaterMark);
    pending.upstream.resume();
    this.links.add(link);
    void link.closed.then(() => this.links.delete(link));
  }
}

import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Broker } from '../broker/broker.interface.js';
import type { RuntimeOptions } from '../distributed-ws.config.js';
import type { TopicRegistry } from '../explorer/topic-registry.js';
import type { DwsMetrics } from '../metrics/metrics.interface.js';
import { CloseCode } from '../protocol/close-codes.js';
import { HandshakeGate, type VerifyDone, type VerifyInfo } from '../security/handshake-gate.js';
import type { SessionTokens } from '../security/session-token.js';
import { selectProtocol } from '../security/token-extraction.js';
import type { ConnectionRegistry } from './connection-registry.js';
import { ConnectionOpener, readerPositions } from './connection-opener.js';
import type { GatewayHandler } from './connection.js';
import { FrameRouter } from './frame-router.js';
import { GatewaySocket } from './gateway-socket.js';
import { startHeartbeat } from './heartbeat.js';
import { SessionTokenIssuer } from './session-token-renewal.js';
import type { ReservedEventsHandler } from './reserved-events.handler.js';
import type { ResumeHandler } from './resume.handler.js';
import { Stage } from './admission-queue.js';

/** Collaborators the module hands to the adapter. */
export interface AdapterParts {
  getHttpServer: () => unknown;
  runtime: RuntimeOptions;
  tokens: SessionTokens;
  connections: ConnectionRegistry;
  reserved: ReservedEventsHandler;
  resume: ResumeHandler;
  topics: TopicRegistry;
  broker: Broker;
  metrics: DwsMetrics;
  /** The `directWrites` option, off when the start-up self-test failed (direct-write.self-test.ts). */
  directWrites: boolean;
}

/**
 * `@nestjs/platform-ws`'s adapter, extended: a connection registry with heartbeat, the
 * reserved protocol events, an answer for every bad frame, and gateway handler results and
 * exceptions sent back as `ack`/`error` frames carrying the client's `id`.
 */
export class DistributedWsAdapter extends WsAdapter {
  private heartbeat: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  private readonly gate: HandshakeGate;
  private readonly opener: ConnectionOpener;
  private readonly router: FrameRouter;

  constructor(private readonly parts: AdapterParts) {
    super(undefined);
    this.gate = new HandshakeGate(parts.runtime.options);
    this.opener = new ConnectionOpener({ ...parts, gate: this.gate });
    this.router = new FrameRouter(parts);
  }

  override create(port: number, options: any = {}): any {
    // The HTTP server exists only once the app does, after this adapter was constructed.
    (this as unknown as { httpServer: unknown }).httpServer ??= this.parts.getHttpServer();
    const { options: opts } = this.parts.runtime;
    const server: WebSocketServer = super.create(port, {
      ...options,
      maxPayload: opts.maxPayload,
      perMessageDeflate: opts.perMessageDeflate,
      verifyClient: (info: VerifyInfo, done: VerifyDone) =>
        this.shuttingDown
          ? done(false, 503, 'Service shutting down')
          : this.gate.verify(info, (ok, ...refusal) =>
              // Admitted: the `101` and the welcome wait for their turn (a wave's upgrades
              // arrive by the hundred in one poll; live deliveries go on between turns).
              ok
                ? this.parts.resume.admission.run(Stage.Upgrade, () =>
                    this.complete(info.req, done),
                  )
                : done(ok, ...refusal),
            ),
      handleProtocols: options.handleProtocols ?? selectProtocol,
      WebSocket: GatewaySocket,
    });
    // Registered before Nest's own listener, so the welcome precedes anything a gateway sends.
    server.on('connection', (ws: WebSocket, request: IncomingMessage) =>
      this.opener.open(ws, request),
    );
    this.startHeartbeat();
    return server;
  }

  // `ws` reports a client's protocol violations (oversized frame, invalid UTF-8…) as socket
  // errors and closes the socket itself (1009, 1007); Nest logs each with a stack, which would let
  // any client flood the log. Server errors are still logged.
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('connection', (ws: WebSocket) => ws.on('error', () => undefined));
    server.on('error', (error: Error) => this.logger.error(error));
    return server;
  }

  // Sockets refused by `authenticate` (authFailure 'close') never reach the app's gateways.
  override bindClientConnect(server: WebSocketServer, callback: (...args: any[]) => void): void {
    super.bindClientConnect(server, (client: WebSocket, ...rest: unknown[]) => {
      if (this.opener.connectionOf(client)) callback(client, ...rest);
    });
  }

  override bindMessageHandlers(client: WebSocket, handlers: GatewayHandler[]): void {
    const connection = this.opener.connectionOf(client);
    if (!connection) return;
    const firstGateway = connection.handlers.size === 0 && client.listenerCount('message') === 0;
    for (const handler of handlers) connection.handlers.set(handler.message, handler);
    // Several gateways on one path each bind their handlers; one listener serves them all.
    if (firstGateway) {
      client.on('message', (data: Buffer, isBinary: boolean) =>
        this.router.route(connection, data, isBinary),
      );
    }
  }

  /**
   * Completes an admitted upgrade, unless shutdown began while it waited for its turn: `ws`
   * answers `101` and the connection opens in the same turn (`open`: the welcome). The socket is
   * corked meanwhile, so the `101` and the welcome leave in one write: one system call per new
   * connection instead of two. Not a socket the gate refused (`authFailure: 'close'`): it may be
   * terminated in that turn, and would lose its `101` with the cork.
   */
  private complete(request: IncomingMessage, done: VerifyDone): void {
    if (this.shuttingDown) return done(false, 503, 'Service shutting down');
    if ('refused' in this.gate.admission(request)) return done(true);
    const socket = request.socket;
    socket.cork();
    try {
      done(true);
    } finally {
      socket.uncork();
    }
  }

  /** Stops accepting, closes every connection with 1012 and waits (bounded) for the closes. */
  override async close(server: WebSocketServer): Promise<void> {
    this.shuttingDown = true;
    if (this.parts.runtime.options.closeOnShutdown && server.clients) {
      const closing = [...server.clients].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState >= 2) return resolve();
            ws.once('close', () => resolve());
            ws.close(CloseCode.ServiceRestart, 'server restarting: reconnect and resume');
          }),
      );
      await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    await super.close(server);
  }

  override async dispose(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    await super.dispose();
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    const { connections, runtime, metrics, tokens } = this.parts;
    const issuer = new SessionTokenIssuer(tokens, runtime.options);
    this.heartbeat = startHeartbeat(
      connections,
      runtime.options.heartbeatIntervalMs,
      () => readerPositions(this.parts.broker),
      metrics,
      (connection, now) => issuer.renewal(connection, now),
    );
  }
}

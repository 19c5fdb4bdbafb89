import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Broker } from '../broker/broker.interface.js';
import { formatPosition } from '../protocol/offset.js';
import type { TopicRegistry } from '../explorer/topic-registry.js';
import { CloseCode } from '../protocol/close-codes.js';
import { decodeClientFrame, encodeEvent } from '../protocol/codec.js';
import type { DwsMetrics, ReceivedFrameKind } from '../metrics/metrics.interface.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { type ClientFrame, ReservedEvent, type WelcomeData } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import type { ConnectionRegistry } from './connection-registry.js';
import { Connection, type GatewayHandler } from './connection.js';
import { errorFrameFor } from './exception-mapper.js';
import type { ReservedEventsHandler } from './reserved-events.handler.js';
import type { ResumeHandler } from './resume.handler.js';
import type { RuntimeOptions } from '../distributed-ws.config.js';
import { HandshakeGate, type VerifyDone, type VerifyInfo } from '../security/handshake-gate.js';
import { PublishRateLimiter } from '../security/publish-rate-limiter.js';
import { admitPublish } from './publish-admission.js';
import { selectProtocol } from '../security/token-extraction.js';
import { bindConnectionInfo } from '../security/connection-info.js';
import { dispatchToGateway } from './gateway-dispatch.js';
import { GatewaySocket } from './gateway-socket.js';
import { startHeartbeat } from './heartbeat.js';
import { newSessionId, type SessionTokens } from '../security/session-token.js';

const connectionOfSocket = new WeakMap<WebSocket, Connection>();
/** Client events the adapter handles itself; each is counted under its own name. */
const CLIENT_EVENTS: ReadonlySet<string> = new Set([
  ReservedEvent.Subscribe,
  ReservedEvent.Unsubscribe,
  ReservedEvent.Publish,
  ReservedEvent.Resume,
  ReservedEvent.Presence,
]);

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

  constructor(private readonly parts: AdapterParts) {
    super(undefined);
    this.gate = new HandshakeGate(parts.runtime.options);
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
          : this.gate.verify(info, done),
      handleProtocols: options.handleProtocols ?? selectProtocol,
      WebSocket: GatewaySocket,
    });
    // Registered before Nest's own listener, so the welcome precedes anything a gateway sends.
    server.on('connection', (ws: WebSocket, request: IncomingMessage) => this.accept(ws, request));
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
      if (connectionOfSocket.has(client)) callback(client, ...rest);
    });
  }

  override bindMessageHandlers(client: WebSocket, handlers: GatewayHandler[]): void {
    const connection = connectionOfSocket.get(client);
    if (!connection) return;
    const firstGateway = connection.handlers.size === 0 && client.listenerCount('message') === 0;
    for (const handler of handlers) connection.handlers.set(handler.message, handler);
    // Several gateways on one path each bind their handlers; one listener serves them all.
    if (firstGateway) {
      client.on('message', (data: Buffer, isBinary: boolean) =>
        this.onFrame(connection, data, isBinary),
      );
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

  private accept(ws: WebSocket, request: IncomingMessage): void {
    const { runtime, connections, broker, metrics } = this.parts;
    const { options } = runtime;
    const admission = this.gate.admission(request);
    if ('refused' in admission) {
      ws.close(CloseCode.PolicyViolation, 'Unauthorized');
      return;
    }
    const connection = new Connection(
      newSessionId(),
      ws,
      options.maxBufferedBytes,
      options.maxReplay,
      this.parts.directWrites,
    );
    // Before `add`: the registry subscribes the user topic and the welcome's token names the user.
    connection.principal = admission.principal;
    connection.userId = admission.principal?.userId ?? null;
    if (options.publishRate) {
      connection.publishLimiter = new PublishRateLimiter(options.publishRate);
    }
    connection.metrics = metrics;
    connectionOfSocket.set(ws, connection);
    bindConnectionInfo(ws, connection);
    connections.add(connection);
    ws.on('pong', () => (connection.alive = true));
    ws.once('close', () => connections.remove(connection));
    const welcome: WelcomeData = {
      connectionId: connection.id,
      sessionToken: this.parts.tokens.issue({
        sessionId: connection.id,
        userId: connection.userId,
      }),
      positions: this.currentPositions(),
      heartbeat: options.heartbeatIntervalMs,
      shards: broker.shards,
    };
    connection.send(encodeEvent(ReservedEvent.Welcome, welcome));
    metrics.framesSent('welcome');
  }

  private onFrame(connection: Connection, data: Buffer, isBinary: boolean): void {
    // Once the server decided to close (rate limit, slow consumer, take-over) nothing more is served.
    if (!connection.open || connection.closing) return;
    const { metrics } = this.parts;
    const frame = isBinary
      ? new ProtocolError(
          ErrorCode.BinaryFrame,
          'Binary frames are not supported: send JSON text frames.',
        )
      : decodeClientFrame(data.toString('utf8'), this.parts.runtime.options.maxDepth);
    if (frame instanceof ProtocolError) {
      metrics.frameReceived('invalid');
      connection.send(errorFrameFor(frame, frame.id, metrics));
      return;
    }
    metrics.frameReceived(
      CLIENT_EVENTS.has(frame.event) ? (frame.event as ReceivedFrameKind) : 'event',
    );
    switch (frame.event) {
      case ReservedEvent.Subscribe:
        return this.inOrder(connection, frame, () =>
          this.parts.reserved.subscribe(connection, frame),
        );
      case ReservedEvent.Unsubscribe:
        return this.inOrder(connection, frame, () =>
          this.parts.reserved.unsubscribe(connection, frame),
        );
      case ReservedEvent.Publish:
        // Checked on arrival, before queueing: a flood is refused without costing a broker call.
        if (!admitPublish(connection, frame.id)) return metrics.error(ErrorCode.RateLimited);
        return this.inOrder(connection, frame, () =>
          this.parts.reserved.publish(connection, frame),
        );
      case ReservedEvent.Resume:
        return this.inOrder(connection, frame, () => this.parts.resume.resume(connection, frame));
      case ReservedEvent.Presence:
        return this.inOrder(connection, frame, () =>
          this.parts.reserved.presence(connection, frame),
        );
      default:
        return dispatchToGateway(connection, frame, this.parts.topics, metrics);
    }
  }

  /** Reserved events of a connection run one after the other, in arrival order. */
  private inOrder(
    connection: Connection,
    frame: ClientFrame,
    run: () => Promise<string | null>,
  ): void {
    const { metrics } = this.parts;
    connection.queue = connection.queue.then(run).then(
      (ack) => {
        if (ack === null || frame.id === undefined) return;
        connection.send(ack);
        metrics.framesSent('ack');
      },
      (error) => connection.send(errorFrameFor(error, frame.id, metrics)),
    );
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    const { connections, runtime, metrics } = this.parts;
    this.heartbeat = startHeartbeat(
      connections,
      runtime.options.heartbeatIntervalMs,
      () => this.currentPositions(),
      metrics,
    );
  }

  private currentPositions(): string[] {
    return this.parts.broker.positions().map(formatPosition);
  }
}

import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import { isObservable } from 'rxjs';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Broker } from '../broker/broker.interface.js';
import { formatOffset } from '../broker/offset.js';
import type { TopicRegistry } from '../explorer/topic-registry.js';
import { CloseCode } from '../protocol/close-codes.js';
import {
  decodeClientFrame,
  encodeAck,
  encodeError,
  encodeEvent,
  encodeProtocolError,
} from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { type ClientFrame, ReservedEvent, type WelcomeData } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import type { ConnectionRegistry } from './connection-registry.js';
import { Connection, type GatewayHandler } from './connection.js';
import { frameContext, installExceptionBridge } from './exception-bridge.js';
import { errorFrameFor } from './exception-mapper.js';
import type { ReservedEventsHandler } from './reserved-events.handler.js';
import type { ResumeHandler } from './resume.handler.js';
import type { RuntimeOptions } from './runtime-options.js';
import { HandshakeGate, type VerifyDone, type VerifyInfo } from '../security/handshake-gate.js';
import { admitPublish, PublishRateLimiter } from '../security/publish-rate-limiter.js';
import { selectProtocol } from '../security/token-extraction.js';
import { newSessionId } from './session-token.js';

const connectionOfSocket = new WeakMap<WebSocket, Connection>();

/** The library's state for a socket Nest hands to a gateway (`handleConnection`, `@ConnectedSocket()`). */
export function connectionOf(client: WebSocket): Connection | undefined {
  return connectionOfSocket.get(client);
}

/** Collaborators the module hands to the adapter. */
export interface AdapterParts {
  getHttpServer: () => unknown;
  runtime: RuntimeOptions;
  connections: ConnectionRegistry;
  reserved: ReservedEventsHandler;
  resume: ResumeHandler;
  topics: TopicRegistry;
  broker: Broker;
}

const SERVER_EVENTS = new Set<string>([
  ReservedEvent.Welcome,
  ReservedEvent.Message,
  ReservedEvent.Ack,
  ReservedEvent.Error,
]);

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
    installExceptionBridge();
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
    const { runtime, connections, broker } = this.parts;
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
    );
    // Before `add`: the registry subscribes the user topic and the welcome's token names the user.
    connection.principal = admission.principal;
    connection.userId = admission.principal?.userId ?? null;
    if (options.publishRate) {
      connection.publishLimiter = new PublishRateLimiter(options.publishRate);
    }
    connectionOfSocket.set(ws, connection);
    connections.add(connection);
    ws.on('pong', () => (connection.alive = true));
    ws.once('close', () => connections.remove(connection));
    const welcome: WelcomeData = {
      connectionId: connection.id,
      sessionToken: runtime.tokens.issue({ sessionId: connection.id, userId: connection.userId }),
      positions: this.currentPositions(),
      heartbeat: options.heartbeatIntervalMs,
      shards: broker.shards,
    };
    connection.send(encodeEvent(ReservedEvent.Welcome, welcome));
  }

  private onFrame(connection: Connection, data: Buffer, isBinary: boolean): void {
    // Once the server decided to close (rate limit, slow consumer, take-over) nothing more is served.
    if (!connection.open || connection.closing) return;
    if (isBinary) {
      connection.send(
        encodeError(
          undefined,
          ErrorCode.BinaryFrame,
          'Binary frames are not supported: send JSON text frames.',
        ),
      );
      return;
    }
    const frame = decodeClientFrame(data.toString('utf8'), this.parts.runtime.options.maxDepth);
    if (frame instanceof ProtocolError) {
      connection.send(encodeProtocolError(frame));
      return;
    }
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
        if (!admitPublish(connection, frame.id)) return;
        return this.inOrder(connection, frame, () =>
          this.parts.reserved.publish(connection, frame),
        );
      case ReservedEvent.Resume:
        return this.inOrder(connection, frame, () => this.parts.resume.resume(connection, frame));
      default:
        return this.dispatchToGateway(connection, frame);
    }
  }

  /** Reserved events of a connection run one after the other, in arrival order. */
  private inOrder(
    connection: Connection,
    frame: ClientFrame,
    run: () => Promise<string | null>,
  ): void {
    connection.queue = connection.queue.then(run).then(
      (ack) => ack !== null && frame.id !== undefined && connection.send(ack),
      (error) => connection.send(errorFrameFor(error, frame.id)),
    );
  }

  private dispatchToGateway(connection: Connection, frame: ClientFrame): void {
    const { id, event } = frame;
    const handler = connection.handlers.get(event);
    if (!handler) {
      const message = SERVER_EVENTS.has(event)
        ? `"${event}" is sent by the server, not by clients.`
        : `No handler for event "${event.slice(0, 64)}".`;
      connection.send(encodeError(id, ErrorCode.UnknownEvent, message));
      return;
    }
    const payloadError = this.parts.topics.event(event)?.validatePayload(frame.data);
    if (payloadError) {
      connection.send(encodeError(id, ErrorCode.InvalidPayload, payloadError));
      return;
    }
    const context = { connection, id, failed: false };
    const reply = (value: unknown) => {
      if (id !== undefined) connection.send(encodeAck(id, value));
      else if (value !== undefined && value !== null) connection.send(JSON.stringify(value));
    };
    frameContext.run(context, () => {
      const manualAck = handler.isAckHandledManually ? (value: unknown) => reply(value) : undefined;
      Promise.resolve()
        .then(() => handler.callback(frame.data, event, manualAck))
        .then((result) => {
          if (context.failed) return;
          if (isObservable(result)) {
            result.subscribe({ next: reply, error: (e) => connection.send(errorFrameFor(e, id)) });
          } else if (!manualAck) {
            reply(result);
          }
        })
        .catch((error) => connection.send(errorFrameFor(error, id)));
    });
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    const { connections, runtime } = this.parts;
    this.heartbeat = setInterval(() => {
      // Positions advance even for clients whose topics were quiet, so that their next resume
      // starts from here and not from a position the retention window has since dropped.
      const positions = Buffer.from(
        encodeEvent(ReservedEvent.Positions, { positions: this.currentPositions() }),
      );
      for (const connection of connections.values()) {
        if (!connection.alive) {
          connection.ws.terminate();
          continue;
        }
        connection.alive = false;
        if (!connection.open) continue;
        connection.ws.ping();
        if (connection.held === null) connection.send(positions);
      }
    }, runtime.options.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  private currentPositions(): string[] {
    return this.parts.broker.positions().map((p) => formatOffset(p.shard, p.epoch, p.id));
  }
}

import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Broker } from '../broker/broker.interface.js';
import type { RuntimeOptions } from '../distributed-ws.config.js';
import type { DwsMetrics } from '../metrics/metrics.interface.js';
import { encodeEvent } from '../protocol/codec.js';
import { ReservedEvent, type WelcomeData } from '../protocol/frames.js';
import { formatPosition } from '../protocol/offset.js';
import { bindConnectionInfo } from '../security/connection-info.js';
import type { HandshakeGate } from '../security/handshake-gate.js';
import { FrameRateLimiter } from '../security/frame-rate-limiter.js';
import { newSessionId, type SessionTokens } from '../security/session-token.js';
import type { ConnectionRegistry } from './connection-registry.js';
import { Connection } from './connection.js';
import { SessionTokenIssuer } from './session-token-renewal.js';
import type { CredentialClock } from './credential-clock.js';

/** What opening a connection needs. */
export interface OpenerParts {
  runtime: RuntimeOptions;
  tokens: SessionTokens;
  connections: ConnectionRegistry;
  broker: Broker;
  metrics: DwsMetrics;
  gate: HandshakeGate;
  /** The `directWrites` option, off when the start-up self-test failed (direct-write.self-test.ts). */
  directWrites: boolean;
  /** Counts down the connections whose principal has an `expiresAt` (refresh, then 4004). */
  reserved: { readonly credentials: CredentialClock };
}

/** Where every shard's reader stands, as the offsets a client resumes from. */
export function readerPositions(broker: Broker): string[] {
  return broker.positions().map(formatPosition);
}

/**
 * Turns an accepted socket into a registered connection: admission (what `authenticate`
 * decided at the handshake), a new session, its implicit topics, and the `welcome`.
 */
export class ConnectionOpener {
  private readonly connectionOfSocket = new WeakMap<WebSocket, Connection>();

  private readonly issuer: SessionTokenIssuer;

  constructor(private readonly parts: OpenerParts) {
    this.issuer = new SessionTokenIssuer(parts.tokens, parts.runtime.options);
  }

  /** The connection opened for `ws`, or undefined for a socket that was refused. */
  connectionOf(ws: WebSocket): Connection | undefined {
    return this.connectionOfSocket.get(ws);
  }

  /**
   * Opens the connection, or closes the socket (1008, or 1013 after `authTimeoutMs`) when the
   * gate refused it: such a socket never reaches the registry, the gauges or the gateways.
   */
  open(ws: WebSocket, request: IncomingMessage): void {
    const { runtime, connections, broker, metrics, gate } = this.parts;
    const { options } = runtime;
    const admission = gate.admission(request);
    if ('refused' in admission) return gate.refused.close(ws, admission);
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
    if (options.rateLimit) connection.rateLimiter = new FrameRateLimiter(options.rateLimit);
    connection.metrics = metrics;
    this.connectionOfSocket.set(ws, connection);
    bindConnectionInfo(ws, connection);
    connections.add(connection);
    ws.on('pong', () => (connection.alive = true));
    ws.once('close', () => connections.remove(connection));
    const expiresAt = admission.principal?.expiresAt;
    // The gate checked it: a number of ms in the future, or absent.
    if (typeof expiresAt === 'number') {
      this.parts.reserved.credentials.watch(connection, request, expiresAt);
    }
    const welcome: WelcomeData = {
      connectionId: connection.id,
      sessionToken: this.issuer.issue(connection, 0),
      positions: readerPositions(broker),
      heartbeat: options.heartbeatIntervalMs,
      shards: broker.shards,
    };
    // Not `connection.send`: nothing can be behind on the first frame, and the `101` is still
    // corked with it (distributed-ws.adapter.ts), counted in `bufferedAmount` until the turn ends.
    ws.send(encodeEvent(ReservedEvent.Welcome, welcome));
    metrics.framesSent('welcome');
  }
}

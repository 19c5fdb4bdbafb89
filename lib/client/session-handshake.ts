import { ReservedEvent, type ResumeAck, type WelcomeData } from '../protocol/frames.js';
import { ClientErrorCode, isConnectionLoss } from './client.error.js';
import type { ConnectedEvent, NotRecoveredEvent } from './client.types.js';
import type { PendingRequests } from './pending-requests.js';
import type { ReconnectingSocket } from './reconnecting-socket.js';
import type { SessionState } from './session-state.js';
import type { SubscriptionSync } from './subscription-sync.js';

/** What the handshake works with, and where it reports its outcome. */
export interface HandshakeParts {
  transport: ReconnectingSocket;
  session: SessionState;
  subscriptions: SubscriptionSync;
  requests: PendingRequests;
  send: (frame: string) => boolean;
  connected(event: ConnectedEvent): void;
  notRecovered(event: NotRecoveredEvent): void;
  malformed(what: string): void;
}

/**
 * The start of every connection: on its `welcome`, either resume the session the client
 * carries (and restore its subscriptions), or adopt the connection's own session and
 * subscribe again. Requests made while disconnected go out after that.
 */
export class SessionHandshake {
  constructor(private readonly parts: HandshakeParts) {}

  /** Handles a `welcome` frame. */
  welcome(welcome: WelcomeData): void {
    const { transport, session, subscriptions, requests, send } = this.parts;
    if (
      transport.isReady ||
      typeof welcome?.sessionToken !== 'string' ||
      !Array.isArray(welcome.positions)
    ) {
      return this.parts.malformed('Unexpected or malformed welcome frame');
    }
    transport.markReady(welcome.heartbeat);
    if (session.canResume) this.resume(welcome);
    else this.startFresh(welcome, subscriptions.patterns());
    // After the subscribe/resume frames: the server handles a connection's frames in order, so
    // requests made while disconnected run on the restored session.
    requests.flush(send);
  }

  private resume(welcome: WelcomeData): void {
    const { transport, session, subscriptions, requests, send } = this.parts;
    const topics = subscriptions.patterns();
    const data = session.resumeRequest(topics, subscriptions.info());
    requests.add(ReservedEvent.Resume, data, send, (error, result) => {
      // Lost before the answer: the next connection resumes again.
      if (error && isConnectionLoss(error)) return;
      // No answer: the connection is as good as dead. A late answer would find no request.
      if (error?.code === ClientErrorCode.Timeout) return transport.abandon(error.message);
      if (error) {
        this.startFresh(welcome, topics);
        return this.parts.notRecovered({ reason: 'session', error });
      }
      const ack = result as ResumeAck;
      session.resumed(ack);
      subscriptions.restored(ack);
      this.parts.connected({
        connectionId: ack.connectionId,
        resumed: true,
        recovered: ack.recovered,
      });
      if (!ack.recovered) this.parts.notRecovered({ reason: ack.reason ?? 'unknown' });
    });
  }

  /**
   * Adopts the connection's own session (first connection, or a resume the server refused) and
   * subscribes to `patterns` on it.
   */
  private startFresh(welcome: WelcomeData, patterns: string[]): void {
    this.parts.session.startFresh(welcome);
    this.parts.subscriptions.resubscribe(patterns);
    this.parts.connected({ connectionId: welcome.connectionId, resumed: false, recovered: false });
  }
}

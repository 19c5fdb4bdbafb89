import type { Broker, ShardPosition } from '../../broker/broker.interface.js';
import { encodeCommand } from '../../instance-commands/instance-command.js';
import type { PresenceTracker } from '../../presence/presence.tracker.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { formatPosition } from '../../protocol/offset.js';
import type { SessionClaims } from '../../security/session-token.js';
import { connectionTopic } from '../../topics/implicit-topics.js';
import type { ConnectionRegistry } from '../connection-registry.js';
import type { Connection } from '../connection.js';

/**
 * The second step of a resume: this socket becomes the session. From here on its live messages
 * are held (the replay sends them after what it reads), it carries the session's id and restored
 * subscriptions, and every other socket of the session is told, through the log, to close.
 */
export class SessionTakeover {
  constructor(
    private readonly broker: Broker,
    private readonly connections: ConnectionRegistry,
    private readonly presence: PresenceTracker,
  ) {}

  /**
   * Takes the session over for `connection`.
   * @returns the snapshot: the reader's positions at the moment live messages started to be
   *   held. The replay reads up to it; everything after it is in `connection.held`.
   */
  async takeOver(
    connection: Connection,
    claims: SessionClaims,
    filters: readonly string[],
    info: Record<string, unknown>,
  ): Promise<ShardPosition[]> {
    // Held from the snapshot on, in the same turn: no live message falls between the two.
    connection.held = [];
    connection.takeoverMark = null;
    const snapshot = this.broker.positions();
    const after = formatPosition(snapshot[this.broker.shardOf(connectionTopic(claims.sessionId))]);
    this.connections.rename(connection, claims.sessionId, claims.userId);
    for (const filter of filters) this.connections.subscribe(connection, filter);
    // Before the take-over: the old socket's leave then finds the entry this socket owns.
    await this.presence.resumed(connection, info);
    this.broker
      .publish({
        topic: connectionTopic(claims.sessionId),
        payload: 'null',
        control: encodeCommand({
          op: 'takeover',
          code: CloseCode.SessionTakenOver,
          keep: connection.incarnation,
          after,
        }),
      })
      // Not confirmed: it may never enter the log; count from where this resume had read.
      .catch(() => (connection.takeoverMark = after));
    return snapshot;
  }
}

import type { ShardPosition } from '../../broker/broker.interface.js';
import type { RuntimeOptions } from '../../distributed-ws.config.js';
import type { DwsMetrics } from '../../metrics/metrics.interface.js';
import { encodeAck, encodeEvent, encodeMessage } from '../../protocol/codec.js';
import { type ClientFrame, ReservedEvent, type ResumeAck } from '../../protocol/frames.js';
import { compareIds, formatPosition } from '../../protocol/offset.js';
import type { SessionTokens } from '../../security/session-token.js';
import type { Connection } from '../connection.js';
import { SessionTokenIssuer } from '../session-token-renewal.js';
import type { Replay } from './session-replay.js';

/** What the earlier steps of a resume established, for the answer. */
export interface ResumeOutcome {
  readonly replay: Replay;
  /** The client's positions (read when the replay recovered). */
  readonly from: readonly ShardPosition[] | null;
  /** Where the replay stopped reading and the held live messages start. */
  readonly snapshot: readonly ShardPosition[];
  readonly rejected: ResumeAck['rejected'];
  /** The session generation the resume claimed: the ack's token carries it. */
  readonly generation: number;
}

/**
 * The last step of a resume, in the order docs/protocol.md promises: the ack (with a new token),
 * the replayed messages, a `positions` frame, the live messages held meanwhile (minus those the
 * client already had: the seam), then live delivery.
 */
export class LiveHandover {
  private readonly issuer: SessionTokenIssuer;

  constructor(
    tokens: SessionTokens,
    private readonly metrics: DwsMetrics,
    private readonly runtime: RuntimeOptions,
  ) {
    this.issuer = new SessionTokenIssuer(tokens, runtime.options);
  }

  async answer(connection: Connection, frame: ClientFrame, outcome: ResumeOutcome): Promise<void> {
    const { replay, from, snapshot, rejected } = outcome;
    const held = connection.held ?? [];
    if (!connection.open) return;
    const ack: ResumeAck = {
      recovered: replay.recovered,
      connectionId: connection.id,
      sessionToken: this.issuer.issue(connection, outcome.generation),
      topics: [...connection.filters],
      rejected,
      replayed: replay.recovered ? replay.messages.length : 0,
      ...(replay.recovered ? {} : { reason: replay.reason }),
    };
    // After the replay the client has everything up to the snapshot (or its own, newer position).
    const next = snapshot.map((p) =>
      replay.recovered && compareIds(from![p.shard].id, p.id) > 0 ? from![p.shard] : p,
    );
    connection.send(encodeAck(frame.id, ack));
    this.metrics.resumed(replay.recovered ? 'recovered' : replay.reason, ack.replayed);
    this.metrics.framesSent('ack');
    this.metrics.framesSent('positions');
    if (replay.recovered) {
      for (const m of replay.messages)
        await this.paced(connection, encodeMessage(m.topic, m.payload, m.offset));
    }
    connection.send(encodeEvent(ReservedEvent.Positions, { positions: next.map(formatPosition) }));
    // Live messages keep arriving in `held` while the replay drains; empty it, then go live.
    for (let i = 0; i < held.length && connection.open; i++) {
      const m = held[i];
      if (replay.recovered && compareIds(m.id, from![m.shard].id) <= 0) continue;
      await this.paced(connection, encodeMessage(m.topic, m.payload, m.offset));
    }
    connection.held = null;
  }

  /**
   * Sends a replayed frame, waiting for the socket to drain past half of `maxBufferedBytes`:
   * a replay may be far larger than the slow-consumer bound and must not trip it.
   */
  private async paced(connection: Connection, frame: string): Promise<void> {
    const socket = (connection.ws as unknown as { _socket?: NodeJS.EventEmitter })._socket;
    if (socket && connection.ws.bufferedAmount > this.runtime.options.maxBufferedBytes / 2) {
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
    connection.send(frame);
  }
}

import type { BrokerMessage, ShardPosition } from '../../broker/broker.interface.js';
import type { RuntimeOptions } from '../../distributed-ws.config.js';
import type { DwsMetrics } from '../../metrics/metrics.interface.js';
import { encodeAck, encodeEvent, encodeMessage } from '../../protocol/codec.js';
import { type ClientFrame, ReservedEvent, type ResumeAck } from '../../protocol/frames.js';
import { compareIds, formatPosition } from '../../protocol/offset.js';
import type { SessionTokens } from '../../security/session-token.js';
import type { Connection } from '../connection.js';
import { SessionTokenIssuer } from '../session-token-renewal.js';
import { CloseCode } from '../../protocol/close-codes.js';
import type { Replay } from './replay-reader.js';

/** How long a peer closed for not reading its replay has to take the close frame. */
const CLOSE_GRACE_MS = 1000;

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
  /**
   * Hands the replayed messages to `send`, page by page, in order.
   * @returns false when they could not all be read again (trimmed meanwhile).
   */
  readonly pages: (
    send: (messages: readonly BrokerMessage[]) => Promise<boolean>,
  ) => Promise<boolean>;
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
      replayed: replay.recovered ? replay.count : 0,
      ...(replay.recovered ? {} : { reason: replay.reason }),
    };
    // After the replay the client has everything up to the snapshot (or its own, newer position).
    const next = snapshot.map((p) =>
      replay.recovered && compareIds(from![p.shard].id, p.id) > 0 ? from![p.shard] : p,
    );
    // Corked from the ack to the last held message: a resume's frames leave in a few writes, not
    // one system call each (bench:resume, 20 messages: 500 of 940 µs were writev; issue 18).
    // `paced` uncorks before it waits for a drain.
    connection.socket?.cork();
    try {
      await this.sendAll(connection, frame, ack, outcome, next, held);
    } finally {
      connection.socket?.uncork();
    }
  }

  private async sendAll(
    connection: Connection,
    frame: ClientFrame,
    ack: ResumeAck,
    { replay, from, pages }: ResumeOutcome,
    next: readonly ShardPosition[],
    held: readonly BrokerMessage[],
  ): Promise<void> {
    connection.send(encodeAck(frame.id, ack));
    this.metrics.resumed(replay.recovered ? 'recovered' : replay.reason, ack.replayed);
    this.metrics.framesSent('ack');
    this.metrics.framesSent('positions');
    if (replay.recovered) {
      const whole = await pages(async (messages) => {
        for (const m of messages) {
          const frame = encodeMessage(m.topic, m.payload, m.offset);
          if (
            !(this.fits(connection)
              ? this.sent(connection, frame)
              : await this.paced(connection, frame))
          )
            return false;
        }
        return true;
      });
      if (!whole) {
        // Part of it is sent, in order; the client's next resume continues from there and is
        // told exactly what is gone.
        connection.close(CloseCode.TryAgainLater, 'replay interrupted: resume again');
      }
      if (!connection.open) return void (connection.held = null);
    }
    connection.send(encodeEvent(ReservedEvent.Positions, { positions: next.map(formatPosition) }));
    // Live messages keep arriving in `held` while the replay drains; empty it, then go live.
    for (let i = 0; i < held.length && connection.open; i++) {
      const m = held[i];
      if (replay.recovered && compareIds(m.id, from![m.shard].id) <= 0) continue;
      const frame = encodeMessage(m.topic, m.payload, m.offset);
      if (
        !(this.fits(connection)
          ? this.sent(connection, frame)
          : await this.paced(connection, frame))
      )
        break;
    }
    connection.held = null;
  }

  /** Whether the socket can take a replayed frame now (below half of `maxBufferedBytes`). */
  private fits(connection: Connection): boolean {
    return connection.ws.bufferedAmount <= this.runtime.options.maxBufferedBytes / 2;
  }

  private sent(connection: Connection, frame: string): boolean {
    connection.send(frame);
    return connection.open;
  }

  /**
   * Sends a replayed frame, waiting for the socket to drain past half of `maxBufferedBytes`:
   * a replay may be far larger than the slow-consumer bound and must not trip it. A peer that
   * does not read for `replayDrainTimeoutMs` is closed with 4001, which frees what it held.
   * @returns whether the connection is still open.
   */
  private async paced(connection: Connection, frame: string): Promise<boolean> {
    const { maxBufferedBytes, replayDrainTimeoutMs } = this.runtime.options;
    const socket = (connection.ws as unknown as { _socket?: NodeJS.EventEmitter })._socket;
    if (socket && connection.ws.bufferedAmount > maxBufferedBytes / 2) {
      // Corked bytes are never written: let them go before waiting for the drain.
      const corked = connection.socket?.writableCorked ?? 0;
      for (let i = 0; i < corked; i++) connection.socket?.uncork();
      const drained = await new Promise<boolean>((resolve) => {
        const done = (drained: boolean) => {
          clearTimeout(timer);
          socket.off('drain', onDrain);
          socket.off('close', onClose);
          resolve(drained);
        };
        const onDrain = () => done(true);
        const onClose = () => done(false);
        const timer = setTimeout(() => done(false), replayDrainTimeoutMs);
        socket.on('drain', onDrain);
        socket.on('close', onClose);
      });
      for (let i = 0; i < corked; i++) connection.socket?.cork();
      if (!drained) {
        connection.close(CloseCode.SlowConsumer, 'slow consumer: replay not read in time');
        // A peer that does not read will not read the close frame either: its buffers go now,
        // not after `ws`'s 30 s closing handshake.
        setTimeout(() => connection.ws.terminate(), CLOSE_GRACE_MS).unref();
        return false;
      }
    }
    connection.send(frame);
    return connection.open;
  }
}

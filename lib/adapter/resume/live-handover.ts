import type { BrokerMessage, ShardPosition } from '../../broker/broker.interface.js';
import type { RuntimeOptions } from '../../distributed-ws.config.js';
import type { DwsMetrics } from '../../metrics/metrics.interface.js';
import { encodeAck, encodeEvent } from '../../protocol/codec.js';
import { type ClientFrame, ReservedEvent, type ResumeAck } from '../../protocol/frames.js';
import { compareIds, formatPosition } from '../../protocol/offset.js';
import type { SessionTokens } from '../../security/session-token.js';
import type { Connection } from '../connection.js';
import { SessionTokenIssuer } from '../session-token-renewal.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { textFrameOf } from '../text-frame.js';
import type { FrameCache } from './frame-cache.js';
import type { Replay } from './replay-reader.js';

/** How long a peer closed for not reading its replay has to take the close frame. */
const CLOSE_GRACE_MS = 1000;
/** Bytes of frames an answer writes at once (less with a small `maxBufferedBytes`). */
const FLUSH_BYTES = 64 * 1024;

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
    /** The replayed and held messages' frames, shared by the resumes of a wave. */
    private readonly frames: FrameCache,
  ) {
    this.issuer = new SessionTokenIssuer(tokens, runtime.options);
  }

  /**
   * Sends the answer, then a ping with `ping` as payload in the same write (its pong confirms the
   * resume's claim).
   * @returns whether the ping was sent: the connection stayed open to the end.
   */
  async answer(
    connection: Connection,
    frame: ClientFrame,
    outcome: ResumeOutcome,
    ping: Buffer | null = null,
  ): Promise<boolean> {
    const { replay, from, snapshot, rejected } = outcome;
    const held = connection.held ?? [];
    if (!connection.open) return false;
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
    // The frames leave together, up to FLUSH_BYTES a write: a resume of 20 messages is one
    // system call (bench:resume; issue 18), not one per frame.
    const out = new Outbox(
      connection,
      Math.min(FLUSH_BYTES, Math.floor(this.runtime.options.maxBufferedBytes / 4)),
    );
    out.add(encodeAck(frame.id, ack));
    this.metrics.resumed(replay.recovered ? 'recovered' : replay.reason, ack.replayed);
    this.metrics.framesSent('ack');
    this.metrics.framesSent('positions');
    if (replay.recovered) {
      const whole = await outcome.pages(async (messages) => {
        for (const m of messages) {
          out.addFrame(this.frames.frameOf(m));
          if (out.full && !(await this.flushPaced(connection, out))) return false;
        }
        return true;
      });
      if (!whole) {
        // Part of it is sent, in order; the client's next resume continues from there and is
        // told exactly what is gone.
        out.flush();
        connection.close(CloseCode.TryAgainLater, 'replay interrupted: resume again');
      }
      if (!connection.open) {
        connection.held = null;
        return false;
      }
    }
    out.add(encodeEvent(ReservedEvent.Positions, { positions: next.map(formatPosition) }));
    // Live messages keep arriving in `held` while the replay drains; empty it, then go live.
    for (let i = 0; i < held.length && connection.open; i++) {
      const m = held[i];
      if (replay.recovered && compareIds(m.id, from![m.shard].id) <= 0) continue;
      out.addFrame(this.frames.frameOf(m));
      if (out.full && !(await this.flushPaced(connection, out))) break;
    }
    const open = connection.open;
    out.flush(open ? ping : null);
    connection.held = null;
    return open && ping !== null;
  }

  /** Whether the socket can take more replayed frames now (below half of `maxBufferedBytes`). */
  private fits(connection: Connection): boolean {
    return connection.ws.bufferedAmount <= this.runtime.options.maxBufferedBytes / 2;
  }

  /**
   * Writes what `out` holds, then waits for the socket to drain below half of `maxBufferedBytes`
   * if it is above: a replay may be far larger than the slow-consumer bound and must not trip
   * it. A peer that does not read for `replayDrainTimeoutMs` is closed with 4001, which frees
   * what it held.
   * @returns whether the connection is still open.
   */
  private async flushPaced(connection: Connection, out: Outbox): Promise<boolean> {
    out.flush();
    if (!connection.open) return false;
    const socket = (connection.ws as unknown as { _socket?: NodeJS.EventEmitter })._socket;
    if (!socket || this.fits(connection)) return true;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (drained: boolean) => {
        clearTimeout(timer);
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        resolve(drained);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), this.runtime.options.replayDrainTimeoutMs);
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });
    if (!drained) {
      connection.close(CloseCode.SlowConsumer, 'slow consumer: replay not read in time');
      // A peer that does not read will not read the close frame either: its buffers go now,
      // not after `ws`'s 30 s closing handshake.
      setTimeout(() => connection.ws.terminate(), CLOSE_GRACE_MS).unref();
      return false;
    }
    return connection.open;
  }
}

/** Frames of an answer not written yet: written together once they reach `limit` bytes. */
class Outbox {
  private frames: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly connection: Connection,
    private readonly limit: number,
  ) {}

  /** Whether the frames held reached the limit: write them before adding more. */
  get full(): boolean {
    return this.bytes >= this.limit;
  }

  /** A text frame of `text`. */
  add(text: string): void {
    this.addFrame(textFrameOf(text));
  }

  /** A complete frame (text-frame.ts). */
  addFrame(frame: Buffer): void {
    this.frames.push(frame);
    this.bytes += frame.length;
  }

  /** Writes the frames held, then a ping if given (`Connection.sendFrames`). */
  flush(ping: Buffer | null = null): void {
    if (this.frames.length === 0 && ping === null) return;
    this.connection.sendFrames(this.frames, ping);
    this.frames = [];
    this.bytes = 0;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { type Broker, type ShardPosition } from '../broker/broker.interface.js';
import { BrokerUnavailableError } from '../errors/broker-unavailable.error.js';
import { compareIds, formatPosition, parseOffset } from '../protocol/offset.js';
import { DWS_BROKER } from '../distributed-ws.constants.js';
import { BROADCAST_TOPIC, userTopic, connectionTopic } from '../topics/implicit-topics.js';
import { DWS_METRICS, type DwsMetrics } from '../metrics/metrics.interface.js';
import { CloseCode } from '../protocol/close-codes.js';
import { encodeAck, encodeEvent, encodeMessage } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { type ClientFrame, ReservedEvent, type ResumeAck } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import { hasWildcard, matchesFilter } from '../topics/topic-matcher.js';
import { ConnectionRegistry } from './connection-registry.js';
import type { Connection } from './connection.js';
import { encodeCommand } from '../instance-commands/instance-command.js';
import { errorDetailsFor } from './exception-mapper.js';
import { checkFilter, ReservedEventsHandler } from './reserved-events.handler.js';
import { RuntimeOptions } from '../distributed-ws.config.js';
import { type Replay, replayShards } from './session-replay.js';
import { PresenceTracker } from '../presence/presence.tracker.js';
import { SessionTokens } from '../security/session-token.js';

// How long a resume waits for this instance's reader to reach the client's position (the client
// may come from an instance whose reader was a few ms ahead). Measured lag is single-digit ms.
const CATCH_UP_TIMEOUT_MS = 3000;

/**
 * `resume`: a client back from a lost connection continues its session on this instance.
 *
 * Seam without loss or duplicate: live messages for the connection are held from the moment the
 * reader is at `snapshot`; the replay reads (client position, snapshot] from the logs; held
 * messages (all after `snapshot`) follow, minus those the client already had. A position that
 * cannot be honoured (epoch changed, trimmed, too many) answers `recovered: false`, and nothing
 * of the replay is sent: never a silent partial replay.
 */
@Injectable()
export class ResumeHandler {
  constructor(
    private readonly connections: ConnectionRegistry,
    private readonly reserved: ReservedEventsHandler,
    private readonly runtime: RuntimeOptions,
    @Inject(DWS_BROKER) private readonly broker: Broker,
    @Inject(DWS_METRICS) private readonly metrics: DwsMetrics,
    private readonly presence: PresenceTracker,
    private readonly tokens: SessionTokens,
  ) {}

  async resume(connection: Connection, frame: ClientFrame): Promise<string | null> {
    try {
      return await this.resumeSession(connection, frame);
    } catch (error) {
      if (!(error instanceof BrokerUnavailableError)) throw error;
      // The session is intact (its token and positions are still good): an error answer would
      // make a client give it up, so the client is told to come back and resume again.
      connection.close(CloseCode.TryAgainLater, 'backplane unavailable: reconnect and resume');
      return null;
    }
  }

  private async resumeSession(connection: Connection, frame: ClientFrame): Promise<string | null> {
    const { token, topics, positions } = parseResumeData(frame);
    const info = presenceInfoOf(frame);
    const claims = this.tokens.verify(token);
    if (!claims) {
      throw new ProtocolError(
        ErrorCode.InvalidSession,
        'Session token is invalid: tampered with, truncated or signed with another secret.',
      );
    }
    if (claims.userId !== connection.userId) {
      throw new ProtocolError(ErrorCode.InvalidSession, 'Session token belongs to another user.');
    }
    const maxLength = this.runtime.options.maxTopicLength;
    const accepted: string[] = [];
    const rejected: ResumeAck['rejected'] = [];
    const room = this.runtime.options.maxSubscriptions - connection.filters.size;
    for (const topic of topics.slice(0, Math.max(0, room))) {
      try {
        const filter = checkFilter(topic, maxLength);
        if (Object.hasOwn(info, filter)) this.presence.checkInfo(info[filter]);
        await this.reserved.authorizeSubscription(connection, filter, true);
        accepted.push(filter);
      } catch (error) {
        const { code, message } = errorDetailsFor(error);
        rejected.push({ topic: String(topic).slice(0, maxLength), code, message });
      }
    }

    connection.held = [];
    connection.takeoverMark = null;
    const snapshot = this.broker.positions();
    const after = formatPosition(snapshot[this.broker.shardOf(connectionTopic(claims.sessionId))]);
    this.connections.rename(connection, claims.sessionId, claims.userId);
    for (const filter of accepted) this.connections.subscribe(connection, filter);
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

    const from = positions?.length === this.broker.shards ? positions : null;
    const replay = from
      ? await this.replay(connection, accepted, from, snapshot)
      : ({ recovered: false, reason: 'positions' } as const);
    if (replay.recovered) await this.catchUp(from!);

    const held = connection.held ?? [];
    if (!connection.open) return null;
    const ack: ResumeAck = {
      recovered: replay.recovered,
      connectionId: connection.id,
      sessionToken: this.tokens.issue({
        sessionId: connection.id,
        userId: connection.userId,
      }),
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
    connection.send(
      encodeEvent(ReservedEvent.Positions, {
        positions: next.map(formatPosition),
      }),
    );
    // Live messages keep arriving in `held` while the replay drains; empty it, then go live.
    for (let i = 0; i < held.length && connection.open; i++) {
      const m = held[i];
      if (replay.recovered && compareIds(m.id, from![m.shard].id) <= 0) continue;
      await this.paced(connection, encodeMessage(m.topic, m.payload, m.offset));
    }
    connection.held = null;
    return null;
  }

  /** Reads what the session missed on its implicit topics and the restored `filters`. */
  private replay(
    connection: Connection,
    filters: readonly string[],
    from: ShardPosition[],
    snapshot: ShardPosition[],
  ): Promise<Replay> {
    const implicit = new Set([BROADCAST_TOPIC, connectionTopic(connection.id)]);
    if (connection.userId !== null) implicit.add(userTopic(connection.userId));
    const wanted = (topic: string) =>
      implicit.has(topic) || filters.some((f) => matchesFilter(f, topic));
    // Without wildcards the wanted topics are known, and so are the only shards that hold them:
    // the others carry other topics' traffic, often most of the window, and are not read.
    let read: Set<number> | null = null;
    if (!filters.some(hasWildcard)) {
      read = new Set([...implicit, ...filters].map((topic) => this.broker.shardOf(topic)));
    }
    return replayShards(this.broker, from, snapshot, wanted, this.runtime.options.maxReplay, read);
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

  /** Waits (bounded) until this instance's reader has delivered up to the client's positions. */
  private async catchUp(from: ShardPosition[]): Promise<void> {
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const now = this.broker.positions();
      if (
        from.every((p) => compareIds(now[p.shard].id, p.id) >= 0 || now[p.shard].epoch !== p.epoch)
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** `data.info` of a resume: presence info by topic (`{}` when absent). */
function presenceInfoOf(frame: ClientFrame): Record<string, unknown> {
  const info = (frame.data as { info?: unknown }).info;
  if (info === undefined || info === null) return {};
  if (typeof info !== 'object' || Array.isArray(info)) {
    throw new ProtocolError(
      ErrorCode.BadRequest,
      'resume "info" must be an object: info by topic.',
    );
  }
  return info as Record<string, unknown>;
}

function parseResumeData(frame: ClientFrame): {
  token: unknown;
  topics: unknown[];
  positions: ShardPosition[] | null;
} {
  const data = frame.data as { token?: unknown; topics?: unknown; positions?: unknown } | undefined;
  if (
    !data ||
    typeof data !== 'object' ||
    typeof data.token !== 'string' ||
    !Array.isArray(data.topics)
  ) {
    throw new ProtocolError(
      ErrorCode.BadRequest,
      'resume needs data {"token": string, "topics": string[], "positions": string[]}.',
    );
  }
  if (!Array.isArray(data.positions))
    return { token: data.token, topics: data.topics, positions: null };
  const byShard: ShardPosition[] = [];
  for (const raw of data.positions) {
    const offset = parseOffset(raw);
    if (!offset || byShard[offset.shard] !== undefined)
      return { token: data.token, topics: data.topics, positions: null };
    byShard[offset.shard] = offset;
  }
  const complete = byShard.length === data.positions.length && byShard.every(Boolean);
  return { token: data.token, topics: data.topics, positions: complete ? byShard : null };
}
